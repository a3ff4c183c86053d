"""Critique benchmark: time per SOP and precision/recall on the labelled set, vs a naive baseline.

The baseline is what a quick script would do on the raw file text: a control is
"present" when a heading mentions it, and vague language is any listed phrase anywhere.
Both run in the same process on the same files. Precision and recall count the blocker and
warning rules (``--levels`` to change); ms/SOP is parse + critique. Run:

    .venv/bin/python benchmarks/bench_critique.py [--repeat 20] [--labelled DIR ...] [--mistakes]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.critique import critique_document, load_catalogue  # noqa: E402
from app.critique.evaluate import Case, format_table, load_cases, score  # noqa: E402
from app.critique.meaning import meaning  # noqa: E402
from app.critique.parse import load_document  # noqa: E402
from app.models import Flag  # noqa: E402

LABELLED = ROOT / "tests" / "critique" / "labelled"
TODAY = date(2026, 11, 27)
# Naive baseline: a heading keyword per control, and the vague phrases, over raw text.
HEADING_WORDS = {
    "missing-scope": "scope", "missing-trigger": "trigger", "missing-approved-tool": "tool",
    "missing-data-rules": "data", "missing-human-review": "review", "missing-quality-criteria": "quality",
    "missing-escalation": "escalat", "missing-record": "record", "missing-owner": "owner",
    "missing-review-cadence": "review",
}


def naive_flags(text: str, vague: re.Pattern[str]) -> list[Flag]:
    """The baseline's findings for one file's raw text."""
    headings = " ".join(re.findall(r"^#+\s*(.*)$", text, re.MULTILINE)).lower()
    flags = [Flag(rule=rule, severity="blocker", section="title", message="absent")
             for rule, word in HEADING_WORDS.items() if word not in headings]
    if vague.search(text):
        flags.append(Flag(rule="vague-language", severity="warning", section="title", message="vague"))
    return flags


def raw_text(case: Case) -> str:
    """The file's text (for DOCX, its paragraphs with headings marked as Markdown)."""
    if case.path.suffix != ".docx":
        return case.path.read_text(encoding="utf-8")
    from docx import Document

    lines = []
    for p in Document(str(case.path)).paragraphs:
        level = 1 if p.style.name == "Title" else int(p.style.name[-1]) if p.style.name.startswith("Heading") else 0
        lines.append(("#" * level + " " if level else "") + p.text)
    return "\n".join(lines)


def timed(fn, repeat: int) -> float:
    """Median milliseconds of ``fn()`` over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Print timings and precision/recall for the engine and the baseline."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--labelled", type=Path, action="append",
                        help="A labelled folder (repeatable); default tests/critique/labelled.")
    parser.add_argument("--levels", default="blocker,warning", help="Severities scored (comma-separated, or 'all').")
    parser.add_argument("--mistakes", action="store_true", help="List every false and missed finding.")
    args = parser.parse_args()
    catalogue = load_catalogue(None)
    levels = None if args.levels == "all" else tuple(args.levels.split(","))
    vague = catalogue.pattern("bench", "vague", catalogue.rule("vague-language").patterns)
    with tempfile.TemporaryDirectory() as tmp:
        cases = [c for folder in (args.labelled or [LABELLED]) for c in load_cases(folder, Path(tmp))]
        texts = {c.name: raw_text(c) for c in cases}
        started = time.perf_counter()
        model = meaning()
        load_ms = (time.perf_counter() - started) * 1000
        # Cold: the first parse + critique of each SOP (nothing of it in the embedding cache yet).
        cold_ms = []
        for c in cases:
            started = time.perf_counter()
            critique_document(load_document(c.path), catalogue, today=TODAY)
            cold_ms.append((time.perf_counter() - started) * 1000)
        docs = {c.name: load_document(c.path) for c in cases}
        parse_ms = [timed(lambda c=c: load_document(c.path), args.repeat) for c in cases]
    crit_ms = [timed(lambda d=docs[c.name]: critique_document(d, catalogue, today=TODAY), args.repeat) for c in cases]
    base_ms = [timed(lambda t=texts[c.name]: naive_flags(t, vague), args.repeat) for c in cases]

    engine = score({c.name: (c, critique_document(docs[c.name], catalogue, today=TODAY).flags) for c in cases},
                   catalogue, levels)
    baseline_rules = set(HEADING_WORDS) | {"vague-language"}
    naive = score({c.name: (c, naive_flags(texts[c.name], vague)) for c in cases}, catalogue, levels)
    total_ms = [p + c for p, c in zip(parse_ms, crit_ms)]
    print(f"labelled SOPs: {len(cases)} (median of {args.repeat} runs each); scored levels: {args.levels}")
    print(f"embedding model + prototypes: {load_ms:.0f} ms once per process "
          f"({'loaded' if model else 'unavailable: synonyms only'})")
    print(f"engine   cold parse+critique ms/SOP (first sight): mean {statistics.mean(cold_ms):.2f}, "
          f"median {statistics.median(cold_ms):.2f}, max {max(cold_ms):.2f} (target <= 50)")
    print(f"engine   warm parse+critique ms/SOP (re-run): mean {statistics.mean(total_ms):.2f}, max {max(total_ms):.2f}")
    print(f"engine   critique ms/SOP: mean {statistics.mean(crit_ms):.2f}, max {max(crit_ms):.2f}")
    print(f"engine   parse ms/SOP:    mean {statistics.mean(parse_ms):.2f}, max {max(parse_ms):.2f}")
    print(f"baseline regex ms/SOP:    mean {statistics.mean(base_ms):.3f}, max {max(base_ms):.3f}")
    print("\nengine, per rule:\n" + format_table(engine))
    print("\nbaseline (heading keywords + vague phrases), on the rules it covers:")
    for name, report in (("engine", engine), ("baseline", naive)):
        tp = sum(report.per_rule[r].tp for r in baseline_rules)
        fp = sum(report.per_rule[r].fp for r in baseline_rules)
        fn = sum(report.per_rule[r].fn for r in baseline_rules)
        print(f"  {name:9} precision {tp / max(tp + fp, 1):.2f}  recall {tp / max(tp + fn, 1):.2f}  "
              f"(tp {tp}, fp {fp}, fn {fn})")
    complete = sum(c.complete for c in cases)
    print(f"complete SOPs with a blocker: engine {len(engine.blocked_complete)} of {complete} "
          f"{engine.blocked_complete or ''}")
    if args.mistakes:
        print("\nmistakes:\n" + "\n".join(engine.mistakes))


if __name__ == "__main__":
    main()
