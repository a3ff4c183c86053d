"""Keeps the drafting evaluation sets (benchmarks/drafting_tasks.yaml and the blind sets in
benchmarks/drafting_blind/) honest.

Every fact a correct draft must contain has to be written in the source file it names,
every trap a draft must avoid has to be marked as "not a rule" next to each mention in its
source, and every invented item must be absent from the task's sources.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from app.models import SOP, SECTION_TITLES

REPO_ROOT = Path(__file__).resolve().parent.parent
TASKS_PATH = REPO_ROOT / "benchmarks" / "drafting_tasks.yaml"
TASK_FILES = [TASKS_PATH, *sorted((REPO_ROOT / "benchmarks" / "drafting_blind").glob("*/tasks.yaml"))]
CUE_WINDOW = 300  # characters either side of a mention in which its disclaimer must stand
TRAP_KINDS = {"forbidden", "retired", "habit", "opinion", "undecided", "vague", "other_procedure"}
DROPPED_HTML_TAGS = ("nav", "script", "style")


@cache
def _task_set(path: Path = TASKS_PATH) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _sections(item: dict) -> list[str]:
    """The sections a fact may be filed under (one, or a list of equally right ones)."""
    section = item.get("section")
    return list(section) if isinstance(section, list) else [section]


def _valid_sections() -> set[str]:
    """Top-level section keys plus ``section.field`` for the nested template parts."""
    sections = set(SECTION_TITLES)
    for name in SECTION_TITLES:
        annotation = SOP.model_fields[name].annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            sections.update(f"{name}.{field}" for field in annotation.model_fields)
    return sections


def _corpus_dir(path: Path, corpus: str) -> Path:
    return (REPO_ROOT / _task_set(path)["corpora"][corpus]).resolve()


@cache
def _source_text(path: Path) -> str:
    """The readable text of a source, normalised for keyword matching."""
    if path.suffix.lower() == ".docx":
        import docx

        document = docx.Document(str(path))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return _normalise("\n".join([p.text for p in document.paragraphs] + cells))
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


def _items(path: Path, kind: str):
    """Yield ``(task, item)`` for every must_contain or must_not_contain item of the task file."""
    for task in _task_set(path)["tasks"]:
        for item in task.get(kind) or []:
            yield task, item


def _source(path: Path, task: dict, item: dict) -> Path:
    return _corpus_dir(path, task["corpus"]) / item["source"]


def _task_sources(path: Path, task: dict) -> set[Path]:
    items = list(task.get("must_contain") or []) + list(task.get("must_not_contain") or [])
    return {_source(path, task, item) for item in items if "source" in item}


per_file = pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.parent.name)


def test_the_tuned_set_covers_notes_and_handbook() -> None:
    corpora = [t["corpus"] for t in _task_set()["tasks"]]
    assert set(_task_set()["corpora"]) == {"examples", "handbook"}
    assert corpora.count("examples") >= 5 and corpora.count("handbook") >= 3


@per_file
def test_task_set_is_well_formed(path: Path) -> None:
    tasks = _task_set(path)["tasks"]
    ids = [t["id"] for t in tasks]
    assert len(ids) == len(set(ids)), f"duplicate task ids in {path}"
    sections = _valid_sections()
    for task in tasks:
        assert {"id", "task", "corpus", "must_contain", "must_not_contain"} <= set(task) <= {
            "id", "task", "corpus", "must_contain", "must_not_contain", "silent"}, task["id"]
        assert task["corpus"] in _task_set(path)["corpora"], task["id"]
        assert task["task"].strip(), task["id"]
        assert 6 <= len(task["must_contain"]) <= 16, task["id"]
        assert task["must_not_contain"], task["id"]
        assert set(task.get("silent") or []) <= sections, task["id"]


@per_file
def test_items_name_valid_sections_and_phrases(path: Path) -> None:
    sections = _valid_sections()
    problems = []
    for kind in ("must_contain", "must_not_contain"):
        for task, item in _items(path, kind):
            if not set(_sections(item)) <= sections:
                problems.append(f"{task['id']}: unknown section {item.get('section')!r}")
            phrases = item.get("any")
            if not phrases or not all(isinstance(p, str) and p.strip() for p in phrases):
                problems.append(f"{task['id']}: {kind} item without keyword phrases: {item}")
    assert not problems, "\n".join(problems)


@per_file
def test_every_source_file_exists(path: Path) -> None:
    problems = []
    for task in _task_set(path)["tasks"]:
        for item in task["must_contain"]:
            if "source" not in item:
                problems.append(f"{task['id']}: fact {item['any']} names no source")
        problems += [f"{task['id']}: missing {p}" for p in sorted(_task_sources(path, task)) if not p.is_file()]
    assert not problems, "\n".join(problems)


@per_file
def test_must_contain_phrases_occur_in_their_source(path: Path) -> None:
    problems = []
    for task, item in _items(path, "must_contain"):
        text = _source_text(_source(path, task, item))
        problems += [f"{task['id']}: {p!r} not in {item['source']}" for p in item["any"] if not _mentions(text, p)]
    assert not problems, "\n".join(problems)


@per_file
def test_traps_are_disclaimed_next_to_every_mention(path: Path) -> None:
    problems = []
    for task, item in _items(path, "must_not_contain"):
        if item["kind"] == "invented":
            continue
        assert item["kind"] in TRAP_KINDS, f"{task['id']}: unknown kind {item['kind']!r}"
        text = _source_text(_source(path, task, item))
        starts = [(p, s) for p in item["any"] for s in _mentions(text, p)]
        if not starts:
            problems.append(f"{task['id']}: trap {item['any']} never mentioned in {item['source']}")
        for phrase, start in starts:
            window = text[max(0, start - CUE_WINDOW) : start + len(phrase) + CUE_WINDOW]
            if not any(_normalise(cue) in window for cue in item["cue"]):
                problems.append(f"{task['id']}: {phrase!r} in {item['source']} has none of {item['cue']} nearby")
    assert not problems, "\n".join(problems)


@per_file
def test_invented_items_are_absent_from_the_task_sources(path: Path) -> None:
    problems = []
    for task, item in _items(path, "must_not_contain"):
        if item["kind"] != "invented":
            continue
        for source in sorted(_task_sources(path, task)):
            problems += [f"{task['id']}: {p!r} occurs in {source.name}" for p in item["any"]
                         if _mentions(_source_text(source), p)]
    assert not problems, "\n".join(problems)


def test_html_navigation_is_not_source_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<nav>NoteBuddy</nav><script>x()</script><main><b>Lighthouse</b> Writer</main>", encoding="utf-8")
    text = _source_text(page)
    assert _mentions(text, "Lighthouse Writer") and not _mentions(text, "NoteBuddy")
