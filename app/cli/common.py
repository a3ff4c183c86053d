"""Helpers shared by every CLI command: services from the context, output formats, errors."""

from __future__ import annotations

import functools
import json
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from app.services import Services

if TYPE_CHECKING:
    from app.auth.accounts import Identity

TOKEN_META = "sopdraft_token"  # ctx.meta key: SOPDRAFT_TOKEN, read once by the root callback


class OutputFormat(str, Enum):
    """How a command prints its result."""

    text = "text"
    json = "json"


FormatOption = typer.Option(OutputFormat.text, "--format", help="text for people, json for machines.")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def services(ctx: typer.Context) -> Services:
    """The process-wide services built by the root callback."""
    return ctx.find_root().obj


def to_jsonable(data: Any) -> Any:
    """Pydantic models (and lists/dicts of them) to plain JSON-able data."""
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return {k: to_jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [to_jsonable(v) for v in data]
    return data


def emit(fmt: OutputFormat, data: Any, render_text: Callable[[], None]) -> None:
    """Print ``data`` as JSON, or call ``render_text`` for people."""
    if fmt == OutputFormat.json:
        typer.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2, default=str))
    else:
        render_text()


def literal(text: str) -> str:
    """``text`` safe to print through Rich on one line: markup escaped, control characters
    (a newline in a file name) shown as escapes."""
    return escape("".join(c if c.isprintable() else repr(c)[1:-1] for c in text))


def fail(message: str, code: int = 2) -> None:
    """Print a clear error (no stack trace) and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def lines(text_lines: list[str], empty: str) -> Callable[[], None]:
    """A text renderer printing ``text_lines`` literally (or ``empty`` when there are none)."""

    def render() -> None:
        for line in text_lines or [empty]:
            console.print(escape(line), highlight=False)

    return render


def clear_errors(command: Callable) -> Callable:
    """Turn registry and sign-in errors into one clear line and exit code 2 (never a traceback)."""
    from app.registry.errors import RegistryError

    @functools.wraps(command)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003 - typer reads the wrapped signature
        try:
            return command(*args, **kwargs)
        except RegistryError as exc:
            fail(" ".join(str(exc).split("\n", 1)[0].split()))

    return wrapper


def current_identity(ctx: typer.Context) -> "Identity":
    """The signed-in user: ``SOPDRAFT_TOKEN`` (an API token) or the session of `sopdraft login`.

    Fails with one line saying how to sign in when there is neither.
    """
    from app.auth.accounts import AuthError

    svc = services(ctx)
    secret = ctx.find_root().meta.get(TOKEN_META, "")
    if not secret and svc.settings.session_path.exists():
        secret = svc.settings.session_path.read_text(encoding="ascii").strip()
    if not secret:
        hint = "run `sopdraft login LOGIN`" if svc.accounts.has_users() else \
            "no accounts yet: create the first admin with `sopdraft user add LOGIN --name \"Full Name\" --role admin`"
        fail(f"sign in first: {hint} (or set SOPDRAFT_TOKEN to an API token)")
    try:
        return svc.accounts.identity_for_token(secret)
    except AuthError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")
