"""Every failure of the ``sopdraft`` command as one line on stderr and a non-zero exit.

Usage errors (a missing argument, a bad option value) would otherwise be drawn as a Rich box
over several lines, and an unexpected exception as a traceback; the traceback goes to the
log file instead (see :mod:`app.logsetup`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import typer
from typer._click import exceptions as click_errors  # Typer ships its own click (pinned typer version)
from typer.core import TyperGroup

log = logging.getLogger(__name__)


def _say(message: str) -> None:
    typer.echo(f"error: {' '.join(message.split())}", err=True)


class OneLineErrors(TyperGroup):
    """The root command group: runs the command and turns any error into one line."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run like Typer's ``main``; with ``standalone_mode`` every error ends as one line and an exit."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click_errors.NoArgsIsHelpError as exc:  # the help was printed already
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            _say(exc.format_message() + hint)
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            _say(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            _say("aborted")
            sys.exit(1)
        except Exception as exc:  # noqa: BLE001 - a bug must still not end in a traceback on the terminal
            log.exception("sopdraft failed")
            _say(f"unexpected {type(exc).__name__}: {exc} (the details are in the sopdraft log)")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)
