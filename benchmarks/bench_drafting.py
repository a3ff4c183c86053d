"""Drafting quality and time with the embedded local model: each design against the others, in one run.

For each task of the task files (default ``benchmarks/drafting_tasks.yaml``, three tasks;
``--all`` for every task), its corpus is ingested into a temporary data dir, then the SOP is
drafted once per design, interleaved task by task so drift of the machine hits every design
alike:

- ``questions`` (the default design): the task's documents read once, one short question per
  template field, answers matched back to their source sentences;
- ``groups`` (the design before it): sections drafted as JSON in eight groups, each from its
  own retrieved chunks;
- ``single`` (the naive baseline): every section in one JSON call.

Printed per task and in total: facts right (``must_contain``; a fact's ``section`` may list two),
statements the sources forbid or never say (``must_not_contain``) and how many verification
flagged, invented sections (a section the task marks ``silent`` that the draft fills), the
statements flagged unsupported, seconds per draft, seconds to the first finished section,
and the model's tokens in and out (from the call log).

    .venv/bin/python benchmarks/bench_drafting.py [--tasks FILE ...] [--all] [--task ID ...]
        [--design questions --design groups] [--save DIR]
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
DEFAULT_FILE = ROOT / "benchmarks" / "drafting_tasks.yaml"
DESIGNS = ("questions", "groups", "single")


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


def _sections(spec: str | list[str]) -> list[str]:
    return [spec] if isinstance(spec, str) else list(spec)


def _mentions(text: str, phrases: list[str]) -> list[str]:
    return [p for p in phrases if re.search(re.escape(p), text, re.IGNORECASE)]


def _filled(sop: SOP, path: str) -> bool:
    value = sop
    for part in path.split("."):
        value = getattr(value, part)
    if isinstance(value, (str, list)):
        return bool(value)
    return any(bool(v) for k, v in value if k != "citations")


def score(draft: Draft, task: dict) -> dict:
    """Facts right, forbidden/unsaid statements present and caught, invented sections, flags raised."""
    right = sum(any(_mentions(section_text(draft.sop, s), f["any"]) for s in _sections(f["section"]))
                for f in task["must_contain"])
    flagged = "\n".join(f.evidence for f in draft.flags if f.rule == "unsupported-claim")
    bad = caught = 0
    for item in task.get("must_not_contain") or []:
        hits = [h for s in _sections(item["section"]) for h in _mentions(section_text(draft.sop, s), item["any"])]
        bad += bool(hits)
        caught += bool(hits and _mentions(flagged, hits))
    invented = [s for s in task.get("silent") or [] if _filled(draft.sop, s)]
    unsupported = sum(f.rule == "unsupported-claim" for f in draft.flags)
    return {"facts": right, "of": len(task["must_contain"]), "bad": bad, "caught": caught,
            "invented": len(invented), "invented_sections": invented, "silent": len(task.get("silent") or []),
            "unsupported_flagged": unsupported, "seconds": draft.duration_s}


def _draft(svc: Services, task: dict, design: str) -> tuple[Draft, float, int, int]:
    """One draft with ``design``; returns it, the seconds to its first section and the tokens in and out."""
    svc.settings.drafting.design = "groups" if design == "single" else design
    before = len(svc.call_log.read())
    started = time.perf_counter()
    first: list[float] = []

    def on_progress(p, first=first) -> None:  # noqa: ANN001 - DraftProgress
        if p.finished and not first:
            first.append(time.perf_counter() - started)

    draft = draft_sop(svc, task["task"], single_call=design == "single", progress=on_progress)
    calls = svc.call_log.read()
    calls = calls[: len(calls) - before]  # newest first: this draft's calls
    tokens_in = sum(c.input_tokens or 0 for c in calls)
    tokens_out = sum(c.output_tokens or 0 for c in calls)
    return draft, first[0] if first else draft.duration_s, tokens_in, tokens_out


def run(tasks: list[dict], corpora: dict[str, str], designs: list[str],
        save: Path | None = None) -> list[tuple[str, str, dict]]:
    """Draft every task with every design and score the drafts (saved to ``save`` if given)."""
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
                for design in designs:
                    started = time.perf_counter()
                    try:
                        draft, first, tokens_in, tokens_out = _draft(svc, task, design)
                    except Exception as exc:  # noqa: BLE001 - a failed draft is a result too
                        print(f"{task['id']:34} {design:9} FAILED after {time.perf_counter() - started:.0f} s: "
                              f"{type(exc).__name__}: {str(exc)[:120]}", flush=True)
                        continue
                    result = score(draft, task) | {"first": first, "in": tokens_in, "out": tokens_out,
                                                   "corpus": corpus}
                    if save:
                        save.mkdir(parents=True, exist_ok=True)
                        (save / f"{task['id']}-{design}.json").write_text(draft.model_dump_json(indent=1))
                    rows.append((task["id"], design, result))
                    invented = f" ({', '.join(result['invented_sections'])})" if result["invented"] else ""
                    print(f"{task['id']:34} {design:9} facts {result['facts']:2}/{result['of']:<2} "
                          f"bad {result['bad']} caught {result['caught']} invented {result['invented']}/{result['silent']}"
                          f"{invented} unsupported-flagged {result['unsupported_flagged']:2}  "
                          f"{result['seconds']:6.1f} s (first section {first:5.1f} s)  tokens {tokens_in}/{tokens_out}",
                          flush=True)
            svc.close()
    return rows


def summarise(rows: list[tuple[str, str, dict]]) -> None:
    """Totals per design and corpus, and per design."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for _, design, r in rows:
        groups.setdefault((design, r["corpus"]), []).append(r)
        groups.setdefault((design, "all"), []).append(r)
    for (design, corpus), rs in sorted(groups.items()):
        facts, of = sum(r["facts"] for r in rs), sum(r["of"] for r in rs)
        secs = [r["seconds"] for r in rs]
        print(f"TOTAL {design:9} {corpus:10} facts {facts}/{of} ({facts / of:.0%})  bad {sum(r['bad'] for r in rs)} "
              f"caught {sum(r['caught'] for r in rs)}  invented {sum(r['invented'] for r in rs)}/"
              f"{sum(r['silent'] for r in rs)}  mean {sum(secs) / len(secs):.1f} s/draft  max {max(secs):.1f} s  "
              f"first section mean {sum(r['first'] for r in rs) / len(rs):.1f} s  "
              f"tokens mean {sum(r['in'] for r in rs) / len(rs):.0f}/{sum(r['out'] for r in rs) / len(rs):.0f}")


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, action="append", help="a task file (repeatable; default "
                        "benchmarks/drafting_tasks.yaml)")
    parser.add_argument("--all", action="store_true", help="every task of the files")
    parser.add_argument("--task", action="append", help="task id (repeatable)")
    parser.add_argument("--design", action="append", choices=DESIGNS,
                        help="design to draft with (repeatable; default: questions and groups)")
    parser.add_argument("--save", type=Path, help="write each draft as JSON into this folder "
                        "(for benchmarks/unsupported_sample.py)")
    args = parser.parse_args()
    tasks, corpora = [], {}
    files = args.tasks or [DEFAULT_FILE]
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        corpora.update(data["corpora"])
        tasks += data["tasks"]
    wanted = None if args.all or (args.tasks and not args.task) else set(args.task or DEFAULT_TASKS)
    tasks = [t for t in tasks if wanted is None or t["id"] in wanted]
    summarise(run(tasks, corpora, args.design or ["questions", "groups"], save=args.save))


if __name__ == "__main__":
    main()
