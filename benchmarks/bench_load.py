"""Draft time on an idle and on a busy machine, per llama.cpp thread setting, in one run.

A user's laptop is never idle: while a draft runs, an ingest, a browser or a build competes
for the cores. This drafts the same task from the example notes with each thread setting,
once on an idle machine and once beside a CPU-bound process (one busy loop per
``--busy`` core), interleaved so drift of the machine hits every setting alike. Printed
per cell: seconds per draft, prompt and output tokens (from the call log), and the
loaded/idle ratio the issue bounds at 2.5x.

Settings compared (``--config``): ``auto`` is the default (every core generates on a quiet
machine; a draft that starts beside a busy process gets one generating thread), ``2`` and
``1`` always use that many generating threads, ``2/poll50`` is llama.cpp's own default of
spinning workers. Prompts are always evaluated on every core. Both servers of ``auto`` are
started before the timed drafts.

    .venv/bin/python benchmarks/bench_load.py [--repeats 1] [--busy 1] [--task "…"] [--config auto ...]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.drafting.service import draft_sop  # noqa: E402
from app.services import Services  # noqa: E402
from app.localmodel import threads_for  # noqa: E402
from app.settings import LLMSettings, Settings  # noqa: E402

# name: (threads on a quiet machine, threads beside a busy process, poll)
CONFIGS = {"auto": (0, 1, 0), "2": (2, 2, 0), "1": (1, 1, 0), "2/poll50": (2, 2, 50)}
DEFAULT_TASK = "Summarise internal meetings with AI"


def _spin(stop: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    while not stop.is_set():
        sum(i * i for i in range(10_000))


class BusyLoad:
    """``n`` processes that each keep one core busy until the block ends."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.stop = multiprocessing.Event()
        self.procs: list[multiprocessing.Process] = []

    def __enter__(self) -> "BusyLoad":
        self.procs = [multiprocessing.Process(target=_spin, args=(self.stop,), daemon=True) for _ in range(self.n)]
        for proc in self.procs:
            proc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for proc in self.procs:
            proc.join(5)


def draft_once(data_dir: Path, config: tuple[int, int, int], task: str) -> dict:
    """One draft with ``config``; seconds to the first finished section and in all, tokens of its calls."""
    threads, busy_threads, poll = config
    settings = Settings(data_dir=data_dir, llm=LLMSettings(n_threads=threads, busy_threads=busy_threads, poll=poll))
    svc = Services(settings)
    try:
        svc.llm  # noqa: B018 - load the model outside the timed part
        pool = svc.chat_models.for_draft.__self__  # LocalModels: start the busy machine's server too
        pool.model(threads_for(2.0, threads, busy_threads))
        before = len(svc.call_log.read())
        started = time.perf_counter()
        first: list[float] = []

        def on_progress(p) -> None:  # noqa: ANN001 - DraftProgress
            if p.finished and not first:
                first.append(time.perf_counter() - started)

        draft = draft_sop(svc, task, progress=on_progress)
        seconds = time.perf_counter() - started
        calls = svc.call_log.read()
        calls = calls[: len(calls) - before]  # newest first: this draft's calls
    finally:
        svc.close()
    filled = sum(bool(getattr(draft.sop, key)) for key in ("purpose", "scope", "steps", "human_review", "escalation"))
    return {"seconds": seconds, "first": first[0] if first else seconds, "calls": len(calls), "filled": filled,
            "tokens_in": sum(c.input_tokens or 0 for c in calls), "tokens_out": sum(c.output_tokens or 0 for c in calls)}


def main() -> None:
    """Ingest the example notes once, then draft in every (setting, load) cell."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--busy", type=int, default=1, help="busy-loop processes in the loaded cells")
    parser.add_argument("--task", default=DEFAULT_TASK)
    parser.add_argument("--config", action="append", choices=list(CONFIGS), help="settings to compare (repeatable)")
    args = parser.parse_args()
    names = args.config or ["auto", "2", "1"]
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        svc = Services(Settings(data_dir=data_dir))
        svc.index.ingest([ROOT / "examples"])
        svc.close()
        for repeat in range(args.repeats):
            for name in names:
                for load in ("idle", "loaded"):
                    if load == "loaded":
                        with BusyLoad(args.busy):
                            row = draft_once(data_dir, CONFIGS[name], args.task)
                    else:
                        row = draft_once(data_dir, CONFIGS[name], args.task)
                    results.setdefault((name, load), []).append(row)
                    print(f"run {repeat + 1} {name:8} {load:6} {row['seconds']:6.1f} s (first section "
                          f"{row['first']:5.1f} s)  {row['calls']} calls  "
                          f"out {row['tokens_out']:4} tokens  sections filled {row['filled']}/5",
                          flush=True)
    print(f"\nsetting                    idle s  first s  loaded s  loaded/idle   "
          f"(median of {args.repeats}, {args.busy} busy process(es))")
    for name in names:
        idle = statistics.median(r["seconds"] for r in results[(name, "idle")])
        first = statistics.median(r["first"] for r in results[(name, "idle")])
        loaded = statistics.median(r["seconds"] for r in results[(name, "loaded")])
        print(f"{name:26} {idle:7.1f} {first:8.1f} {loaded:9.1f} {loaded / idle:11.2f}x")


if __name__ == "__main__":
    main()
