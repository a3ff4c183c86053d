"""``sopdraft ui``: start the reviewer's workspace (Streamlit) on this machine."""

from __future__ import annotations

import ipaddress
import math
import os
import sys
from pathlib import Path

import typer

from app.cli.common import fail, services

APP_SCRIPT = Path(__file__).resolve().parent.parent / "ui" / "app.py"


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (the UI has no login of its own)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost may resolve anywhere
        return False


def streamlit_command(port: int, host: str, max_upload_mb: float = 50.0) -> list[str]:
    """The ``streamlit run`` command line for the UI (headless, no usage statistics)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "minimal",
        "--server.maxUploadSize", str(max(1, math.ceil(max_upload_mb))),
    ]


def register(app: typer.Typer) -> None:
    """Add the ``ui`` command to ``app``."""

    @app.command("ui")
    def ui(
        ctx: typer.Context,
        port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to listen on."),
        host: str = typer.Option("127.0.0.1", "--host", help="Loopback address to listen on."),
    ) -> None:
        """Open the reviewer's workspace in the browser at http://HOST:PORT (this machine only)."""
        if not is_loopback(host):
            fail(f"--host {host}: the UI has no login, so it only listens on loopback (127.0.0.1, ::1, localhost)")
        settings = services(ctx).settings
        env = {**os.environ, "SOPDRAFT_DATA_DIR": str(settings.data_dir)}
        typer.echo(f"sopdraft UI on http://{host}:{port}  (data: {settings.data_dir}; Ctrl+C to stop)")
        services(ctx).close()
        cmd = streamlit_command(port, host, settings.ingest.max_file_mb)
        # Become the Streamlit server (no child process), so Ctrl+C and SIGTERM reach it directly.
        os.execve(cmd[0], cmd, env)
