"""Several people drafting at once against one real model server (``sopdraft model serve``).

Starts the embedded model once as a server, ingests the example notes, then starts
``--drafts`` drafts at the same moment, each from its own ``Services`` (as separate UI
sessions would), all reaching the server through the ``openai-compatible`` provider and
sharing one store, so they queue (``llm.drafts_at_once``). Printed per draft: outcome,
seconds, the most drafts it was told were ahead; then drafts failed (must be 0).

    .venv/bin/python benchmarks/bench_model_server.py [--drafts 3] [--slots 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.drafts_at_once import draft_at_once  # noqa: E402
from app.services import Services  # noqa: E402
from app.settings import AuthSettings, LLMSettings, Settings  # noqa: E402
from tests.support.net import free_port, wait_http_ok  # noqa: E402

PASSWORD = "correct-horse-battery-42"


def main() -> None:
    """Serve, ingest, draft at once, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=3)
    parser.add_argument("--slots", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    port = free_port()
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-c", "from app.cli.main import run; run()", "--data-dir",
                               str(tmp / "server"), "model", "serve", "--port", str(port), "--slots", str(args.slots)],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health", server, timeout=600)
        settings = Settings(data_dir=tmp / "team", auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=64,
                                                                     argon2_parallelism=1),
                            llm=LLMSettings(provider="openai-compatible", base_url=f"http://127.0.0.1:{port}/v1"))
        setup = Services(settings)
        setup.index.ingest([ROOT / "examples"])
        setup.accounts.add_user(None, login="ana", full_name="Ana Lopez", roles=["admin", "author"], password=PASSWORD)
        setup.close()
        results: list[tuple[str, float, int]] = []
        started = time.monotonic()
        draft_at_once(lambda: Services(settings), args.drafts, "ana", PASSWORD, results)
        total = time.monotonic() - started
        for outcome, seconds, ahead in sorted(results, key=lambda r: r[1]):
            print(f"draft {outcome:6} after {seconds:6.1f} s (told {ahead} drafts ahead at most)")
        failed = sum(r[0] != "ok" for r in results)
        print(f"{args.drafts} drafts at once against one model server ({args.slots} slots, drafts_at_once "
              f"{settings.llm.drafts_at_once}): {args.drafts - failed} ok, {failed} failed, all done in {total:.0f} s")
    finally:
        server.terminate()
        server.wait(60)


if __name__ == "__main__":
    main()
