"""``sopdraft ui``: start the reviewer's workspace (Streamlit) on this machine."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import typer

from app.cli.common import fail, services
from app.settings import is_loopback

APP_SCRIPT = Path(__file__).resolve().parent.parent / "ui" / "app.py"


def oidc_configured(project_dir: Path) -> bool:
    """Whether Streamlit's ``[auth]`` (OIDC) section is configured in ``.streamlit/secrets.toml``."""
    import tomllib

    path = project_dir / ".streamlit" / "secrets.toml"
    try:
        return bool(tomllib.loads(path.read_text(encoding="utf-8")).get("auth"))
    except (OSError, ValueError):
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
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (beyond loopback only with "
                                 "authentication configured)."),
    ) -> None:
        """Open the reviewer's workspace in the browser at http://HOST:PORT (sign-in required)."""
        svc = services(ctx)
        settings = svc.settings
        if not is_loopback(host) and not (oidc_configured(Path.cwd()) or svc.accounts.has_users()):
            fail(f"--host {host}: authentication is not configured, so the UI only listens on loopback "
                 "(127.0.0.1, ::1, localhost); add accounts (`sopdraft user add`) or OIDC ([auth] in "
                 ".streamlit/secrets.toml) first")
        if not svc.accounts.has_users() and not oidc_configured(Path.cwd()):
            typer.echo("No accounts yet: create the first admin with "
                       "`sopdraft user add LOGIN --name \"Full Name\" --role admin` to sign in.")
        env = {**os.environ, "SOPDRAFT_DATA_DIR": str(settings.data_dir)}
        typer.echo(f"sopdraft UI on http://{host}:{port}  (data: {settings.data_dir}; Ctrl+C to stop)")
        svc.close()
        cmd = streamlit_command(port, host, settings.ingest.max_file_mb)
        # Become the Streamlit server (no child process), so Ctrl+C and SIGTERM reach it directly.
        os.execve(cmd[0], cmd, env)
