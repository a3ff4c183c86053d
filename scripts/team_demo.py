"""The team stack on loopback, from one command (``make team-demo``).

A throw-away PostgreSQL cluster (the registry), a Chroma server (the shared index), one
model server, and two ``sopdraft ui`` processes sharing all three: what ``docs/deploy.md``
describes, minus the reverse proxy and TLS. The demo accounts' passwords are printed once.
Ctrl+C (or ``--seconds``) stops everything and deletes the cluster; the data dir stays.

    .venv/bin/python scripts/team_demo.py [--data-dir .sopdraft-team] [--seconds 0] [--check]

``--check`` starts the stack, waits until every server answers, prints the URLs and stops.
Each server's output goes to ``DATA_DIR/NAME.log``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.net import free_port, wait_http_ok  # noqa: E402
from tests.support.postgres import PgCluster  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> None:
    """Start the stack, wait, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".sopdraft-team")
    parser.add_argument("--ui-ports", default="8501,8502")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: at Ctrl+C)")
    parser.add_argument("--check", action="store_true", help="start, check every server answers, stop")
    args = parser.parse_args()
    data = args.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    cluster = PgCluster()
    children: list[subprocess.Popen] = []
    try:
        chroma_port, model_port = free_port(), free_port()
        env = {**os.environ, "SOPDRAFT_DATA_DIR": str(data),
               "SOPDRAFT_REGISTRY__DATABASE_URL": cluster.create_database(),
               "SOPDRAFT_INGEST__CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
               "SOPDRAFT_LLM__PROVIDER": "openai-compatible",
               "SOPDRAFT_LLM__BASE_URL": f"http://127.0.0.1:{model_port}/v1",
               "ANONYMIZED_TELEMETRY": "False"}

        def start(name: str, *command: str) -> subprocess.Popen:
            log = (data / f"{name}.log").open("w")  # each server's output, for when one does not come up
            proc = subprocess.Popen(list(command), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            children.append(proc)
            return proc

        chroma = start("chroma", str(BIN / "chroma"), "run", "--host", "127.0.0.1", "--port", str(chroma_port),
                       "--path", str(data / "chroma-server"))
        model = start("model", str(BIN / "sopdraft"), "model", "serve", "--port", str(model_port))
        wait_http_ok(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma)
        print(f"registry: PostgreSQL on 127.0.0.1:{cluster.port}; index: Chroma on 127.0.0.1:{chroma_port}", flush=True)
        subprocess.run([str(BIN / "sopdraft"), "user", "demo"], env=env, cwd=ROOT, check=True)
        subprocess.run([str(BIN / "sopdraft"), "ingest", "examples/"], env=env, cwd=ROOT, check=True)
        wait_http_ok(f"http://127.0.0.1:{model_port}/health", model, timeout=600)
        print(f"model server on 127.0.0.1:{model_port}", flush=True)
        uis = [(port, start(f"ui-{port}", str(BIN / "sopdraft"), "ui", "--port", port)) for port in args.ui_ports.split(",")]
        for port, proc in uis:
            wait_http_ok(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout=120)
            print(f"UI on http://127.0.0.1:{port}", flush=True)
        if args.check:
            print("team stack is up: every server answered", flush=True)
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        print("Ctrl+C stops everything", flush=True)
        stop.wait(args.seconds or None)
    finally:
        for proc in reversed(children):
            proc.terminate()
        for proc in children:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        cluster.close()


if __name__ == "__main__":
    main()
