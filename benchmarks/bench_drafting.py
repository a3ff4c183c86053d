"""Drafting quality and time with the embedded local model, against the naive baseline.

For each task of ``benchmarks/drafting_tasks.yaml`` (default: three; ``--all`` for all),
the corpus is ingested into a temporary data dir, then the SOP is drafted twice in the
same run: by sopdraft (sections in small groups, each citing only its own evidence, then
verified) and by the naive baseline (one call, every section, all evidence in view).
Printed per task and in total: facts right (must_contain), statements the sources forbid
or never say (must_not_contain) and how many of those verification flagged, unsupported
statements flagged, seconds per draft and to the first finished section.

    .venv/bin/python benchmarks/bench_drafting.py [--all] [--task ID ...] [--no-baseline] [--save DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.drafting.service import draft_sop  # noqa: E402
from app.models import SOP, Draft  # noqa: E402
from app.services import Services  # noqa: E402
from app.settings import Settings  # noqa: E402

DEFAULT_TASKS = ("meeting-summaries", "ticket-triage", "security-incident")


def section_text(sop: SOP, path: str) -> str:
    """All text of a section path such as ``approved_tools`` or ``data_rules.prohibited``."""
    value = sop
    for part in path.split("."):
        value = getattr(value, part)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(item.as_text() for item in value)
    return value.model_dump_json()


def _mentions(text: str, phrases: list[str]) -> list[str]:
    return [p for p in phrases if re.search(re.escape(p), text, re.IGNORECASE)]


def score(draft: Draft, task: dict) -> dict:
    """Facts right, forbidden/unsaid statements present and caught, flags raised."""
    right = sum(bool(_mentions(section_text(draft.sop, f["section"]), f["any"])) for f in task["must_contain"])
    flagged = "\n".join(f.evidence for f in draft.flags if f.rule == "unsupported-claim")
    bad = caught = 0
    for item in task["must_not_contain"]:
        hits = _mentions(section_text(draft.sop, item["section"]), item["any"])
        bad += bool(hits)
        caught += bool(hits and _mentions(flagged, hits))
    unsupported = sum(f.rule == "unsupported-claim" for f in draft.flags)
    return {"facts": right, "of": len(task["must_contain"]), "bad": bad, "caught": caught,
            "unsupported_flagged": unsupported, "seconds": draft.duration_s}


def run(tasks: list[dict], corpora: dict[str, str], baseline: bool,
        save: Path | None = None) -> list[tuple[str, str, dict]]:
    """Draft every task with sopdraft (and the baseline) and score the drafts (saved to ``save`` if given)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for corpus in sorted({t["corpus"] for t in tasks}):
            svc = Services(Settings(data_dir=Path(tmp) / corpus))
            started = time.perf_counter()
            report = svc.index.ingest([(ROOT / corpora[corpus]).resolve()])
            print(f"# ingested {corpus}: {report.chunks_total} chunks in {time.perf_counter() - started:.0f} s", flush=True)
            started = time.perf_counter()
            svc.llm  # noqa: B018 - load the model before timing drafts
            print(f"# model loaded in {time.perf_counter() - started:.1f} s", flush=True)
            for task in (t for t in tasks if t["corpus"] == corpus):
                modes = [("sopdraft", False)] + ([("baseline", True)] if baseline else [])
                for mode, single in modes:
                    started = time.perf_counter()
                    first: list[float] = []

                    def on_progress(p, first=first, started=started) -> None:  # noqa: ANN001 - DraftProgress
                        if p.finished and not first:
                            first.append(time.perf_counter() - started)
                    try:
                        draft = draft_sop(svc, task["task"], single_call=single, progress=on_progress)
                        result = score(draft, task)
                        if save:
                            save.mkdir(parents=True, exist_ok=True)
                            (save / f"{task['id']}-{mode}.json").write_text(draft.model_dump_json(indent=1))
                        result["first"] = first[0] if first else result["seconds"]
                    except Exception as exc:  # noqa: BLE001 - a failed draft is a result too
                        print(f"{task['id']:22} {mode:9} FAILED after {time.perf_counter() - started:.0f} s: "
                              f"{type(exc).__name__}: {str(exc)[:120]}", flush=True)
                        continue
                    rows.append((task["id"], mode, result))
                    print(f"{task['id']:22} {mode:9} facts {result['facts']:2}/{result['of']:<2} "
                          f"bad {result['bad']} caught {result['caught']} unsupported-flagged "
                          f"{result['unsupported_flagged']:2}  {result['seconds']:6.1f} s (first section {result['first']:5.1f} s)",
                          flush=True)
            svc.close()
    return rows


def summarise(rows: list[tuple[str, str, dict]]) -> None:
    """Totals per mode."""
    for mode in sorted({m for _, m, _ in rows}):
        rs = [r for _, m, r in rows if m == mode]
        facts, of = sum(r["facts"] for r in rs), sum(r["of"] for r in rs)
        secs = [r["seconds"] for r in rs]
        print(f"TOTAL {mode:9} facts {facts}/{of} ({facts / of:.0%})  bad {sum(r['bad'] for r in rs)} "
              f"caught {sum(r['caught'] for r in rs)}  mean {sum(secs) / len(secs):.1f} s/draft  max {max(secs):.1f} s  "
              f"first section mean {sum(r['first'] for r in rs) / len(rs):.1f} s")


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every task in the set")
    parser.add_argument("--task", action="append", help="task id (repeatable)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the single-call baseline")
    parser.add_argument("--save", type=Path, help="write each draft as JSON into this folder "
                        "(for benchmarks/unsupported_sample.py)")
    args = parser.parse_args()
    data = yaml.safe_load((ROOT / "benchmarks" / "drafting_tasks.yaml").read_text())
    wanted = None if args.all else set(args.task or DEFAULT_TASKS)
    tasks = [t for t in data["tasks"] if wanted is None or t["id"] in wanted]
    summarise(run(tasks, data["corpora"], baseline=not args.no_baseline, save=args.save))


if __name__ == "__main__":
    main()
