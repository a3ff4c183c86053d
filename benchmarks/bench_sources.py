"""How many labelled facts reach the drafting model's prompt: document choice and source budget, no model.

For every task of the task files (default: the tuned set and every blind set), the task's
corpus is ingested into a data dir of its own (kept under ``--data-dir`` between runs), the
task's documents are chosen and cut to the source budget exactly as a draft does
(``app.drafting.documents.gather_sources``), and a fact counts as shown when one of its
phrases occurs in the rendered sources. Printed per task and per set, for each budget given.
A fact that is not shown cannot be drafted; one that is shown and still missing is the model's.

    .venv/bin/python benchmarks/bench_sources.py [--tasks FILE ...] [--source-chars 6000 ...] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.drafting.documents import gather_sources  # noqa: E402
from app.drafting.sections import load_plan  # noqa: E402
from app.services import Services  # noqa: E402
from app.settings import Settings  # noqa: E402


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*`]", "", text)).casefold()


def _task_files() -> list[Path]:
    return [ROOT / "benchmarks" / "drafting_tasks.yaml",
            *sorted((ROOT / "benchmarks" / "drafting_blind").glob("*/tasks.yaml"))]


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=Path, action="append", help="a task file (repeatable; default: all)")
    parser.add_argument("--source-chars", type=int, action="append", help="budgets to compare (default: the setting's)")
    parser.add_argument("--data-dir", type=Path, help="where ingested corpora are kept (default: a temp dir)")
    args = parser.parse_args()
    data = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-sources-"))
    queries = [spec.query for spec in load_plan().sections.values()]
    services: dict[str, Services] = {}
    totals: dict[tuple[str, int], list[int]] = {}
    for path in args.tasks or _task_files():
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        label = path.parent.name if path.parent.name != "benchmarks" else "tuned"
        for task in spec["tasks"]:
            corpus = task["corpus"]
            if corpus not in services:
                folder = data / corpus
                services[corpus] = Services(Settings(data_dir=folder))
                if not (folder / "ingested").exists():
                    services[corpus].index.ingest([ROOT / spec["corpora"][corpus]])
                    (folder / "ingested").touch()
            svc = services[corpus]
            shown = []
            for budget in args.source_chars or [svc.settings.drafting.source_chars]:
                cfg = svc.settings.drafting.model_copy(update={"source_chars": budget})
                sources = gather_sources(svc.index, task["task"], queries, cfg)
                text = _normalise("\n".join(sources.render({}).values()))
                hits = sum(any(_normalise(p) in text for p in fact["any"]) for fact in task["must_contain"])
                shown.append(f"{hits}/{len(task['must_contain'])}")
                total = totals.setdefault((f"{label}/{corpus}", budget), [0, 0])
                total[0] += hits
                total[1] += len(task["must_contain"])
            print(f"{label:10} {task['id']:35} shown {' '.join(shown)}  documents {sources.documents}")
    for svc in services.values():
        svc.close()
    for (name, budget), (hits, of) in totals.items():
        print(f"TOTAL {name:22} budget {budget:6}  facts shown {hits}/{of} ({hits / of:.0%})")
    print(f"ALL facts shown {sum(h for h, _ in totals.values())}/{sum(n for _, n in totals.values())}")


if __name__ == "__main__":
    main()
