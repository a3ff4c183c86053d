"""Keeps the drafting evaluation set (benchmarks/drafting_tasks.yaml) honest.

Every fact a correct draft must contain has to be written in the source file it names,
every trap a draft must avoid has to be marked as "not a rule" next to each mention in its
source, and every invented item must be absent from the task's sources.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from app.models import SOP, SECTION_TITLES

REPO_ROOT = Path(__file__).resolve().parent.parent
TASKS_PATH = REPO_ROOT / "benchmarks" / "drafting_tasks.yaml"
CUE_WINDOW = 300  # characters either side of a mention in which its disclaimer must stand
TRAP_KINDS = {"forbidden", "retired", "habit", "opinion", "undecided", "vague", "other_procedure"}
DROPPED_HTML_TAGS = ("nav", "script", "style")


@cache
def _task_set() -> dict:
    with TASKS_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _valid_sections() -> set[str]:
    """Top-level section keys plus ``section.field`` for the nested template parts."""
    sections = set(SECTION_TITLES)
    for name in SECTION_TITLES:
        annotation = SOP.model_fields[name].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            sections.update(f"{name}.{field}" for field in annotation.model_fields)
    return sections


def _corpus_dir(corpus: str) -> Path:
    return (REPO_ROOT / _task_set()["corpora"][corpus]).resolve()


@cache
def _source_text(path: Path) -> str:
    """The readable text of a source, normalised for keyword matching."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() in {".html", ".htm"}:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(raw, "html.parser")
        for tag in soup(DROPPED_HTML_TAGS):
            tag.decompose()
        raw = soup.get_text(" ")
    return _normalise(raw.replace("\\$", "$"))


def _normalise(text: str) -> str:
    # Markdown emphasis and code marks split phrases a draft would write plainly.
    return re.sub(r"\s+", " ", re.sub(r"[*`]", "", text)).casefold()


def _mentions(text: str, phrase: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(_normalise(phrase)), text)]


def _items(kind: str):
    """Yield ``(task, item)`` for every must_contain or must_not_contain item."""
    for task in _task_set()["tasks"]:
        for item in task.get(kind) or []:
            yield task, item


def _task_sources(task: dict) -> set[Path]:
    items = list(task.get("must_contain") or []) + list(task.get("must_not_contain") or [])
    return {_corpus_dir(task["corpus"]) / item["source"] for item in items if "source" in item}


def test_task_set_is_well_formed() -> None:
    data = _task_set()
    assert set(data["corpora"]) == {"examples", "handbook"}
    tasks = data["tasks"]
    ids = [t["id"] for t in tasks]
    assert len(ids) == len(set(ids)), f"duplicate task ids in {TASKS_PATH}"
    corpora = [t["corpus"] for t in tasks]
    assert corpora.count("examples") >= 5 and corpora.count("handbook") >= 3
    for task in tasks:
        assert set(task) == {"id", "task", "corpus", "must_contain", "must_not_contain"}, task["id"]
        assert task["task"].strip(), task["id"]
        assert 8 <= len(task["must_contain"]) <= 12, task["id"]
        assert task["must_not_contain"], task["id"]


def test_items_name_valid_sections_and_phrases() -> None:
    sections = _valid_sections()
    problems = []
    for kind in ("must_contain", "must_not_contain"):
        for task, item in _items(kind):
            if item.get("section") not in sections:
                problems.append(f"{task['id']}: unknown section {item.get('section')!r}")
            phrases = item.get("any")
            if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
                problems.append(f"{task['id']}: {kind} item without keyword phrases: {item}")
    assert not problems, "\n".join(problems)


def test_every_source_file_exists() -> None:
    problems = []
    for task in _task_set()["tasks"]:
        for item in task["must_contain"]:
            if "source" not in item:
                problems.append(f"{task['id']}: fact {item['any']} names no source")
        problems += [f"{task['id']}: missing {p}" for p in sorted(_task_sources(task)) if not p.is_file()]
    assert not problems, "\n".join(problems)


def test_must_contain_phrases_occur_in_their_source() -> None:
    problems = []
    for task, item in _items("must_contain"):
        text = _source_text(_corpus_dir(task["corpus"]) / item["source"])
        problems += [f"{task['id']}: {p!r} not in {item['source']}" for p in item["any"] if not _mentions(text, p)]
    assert not problems, "\n".join(problems)


def test_traps_are_disclaimed_next_to_every_mention() -> None:
    problems = []
    for task, item in _items("must_not_contain"):
        if item["kind"] == "invented":
            continue
        assert item["kind"] in TRAP_KINDS, f"{task['id']}: unknown kind {item['kind']!r}"
        text = _source_text(_corpus_dir(task["corpus"]) / item["source"])
        starts = [(p, s) for p in item["any"] for s in _mentions(text, p)]
        if not starts:
            problems.append(f"{task['id']}: trap {item['any']} never mentioned in {item['source']}")
        for phrase, start in starts:
            window = text[max(0, start - CUE_WINDOW) : start + len(phrase) + CUE_WINDOW]
            if not any(_normalise(cue) in window for cue in item["cue"]):
                problems.append(f"{task['id']}: {phrase!r} in {item['source']} has none of {item['cue']} nearby")
    assert not problems, "\n".join(problems)


def test_invented_items_are_absent_from_the_task_sources() -> None:
    problems = []
    for task, item in _items("must_not_contain"):
        if item["kind"] != "invented":
            continue
        for path in sorted(_task_sources(task)):
            problems += [f"{task['id']}: {p!r} occurs in {path.name}" for p in item["any"] if _mentions(_source_text(path), p)]
    assert not problems, "\n".join(problems)


def test_html_navigation_is_not_source_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<nav>NoteBuddy</nav><script>x()</script><main><b>Lighthouse</b> Writer</main>", encoding="utf-8")
    text = _source_text(page)
    assert _mentions(text, "Lighthouse Writer") and not _mentions(text, "NoteBuddy")
