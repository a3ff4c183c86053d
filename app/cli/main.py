"""Entry point of the ``sopdraft`` command: builds Settings once and registers commands."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Optional

import typer

from app.cli.common import TOKEN_META, fail
from app.cli.errors import OneLineErrors
from app.logsetup import route_library_logs
from app.services import Services
from app.settings import Settings

# Each module defines ``register(app)`` and owns its commands.
COMMAND_MODULES = (
    "app.cli.ingest_cmd",
    "app.cli.draft_cmd",
    "app.cli.critique_cmd",
    "app.cli.registry_cmd",
    "app.cli.auth_cmd",
    "app.cli.log_cmd",
    "app.cli.ui_cmd",
    "app.cli.model_cmd",
)


def build_app() -> typer.Typer:
    """The Typer application with every command registered."""
    app = typer.Typer(
        cls=OneLineErrors,
        name="sopdraft",
        help="Draft Standard Operating Procedures from your notes, critique them, and sign them off.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        data_dir: Optional[Path] = typer.Option(
            None, "--data-dir", envvar="SOPDRAFT_DATA_DIR", help="Where all state lives."
        ),
    ) -> None:
        settings = Settings(data_dir=data_dir) if data_dir else Settings()
        try:
            settings.ensure_dirs()
        except OSError as exc:
            fail(f"the data dir {settings.data_dir} cannot be used: {exc.strerror or exc}")
        route_library_logs(settings.data_dir)
        ctx.obj = Services(settings)
        ctx.meta[TOKEN_META] = os.environ.get("SOPDRAFT_TOKEN", "")
        ctx.call_on_close(ctx.obj.close)

    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def run() -> None:
    """Console-script entry point."""
    build_app()()
