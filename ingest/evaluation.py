"""Retrieval quality on labelled questions (used by the recall test and the search benchmark)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from ingest.index import SourceIndex


@dataclass(frozen=True)
class Question:
    """A question and the sources (paths relative to the ingested root) that answer it."""

    text: str
    sources: frozenset[str]


def load_questions(path: Path) -> list[Question]:
    """Read a ``questions: [{q, pages}]`` YAML file; a malformed entry raises naming the file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    questions = []
    for n, item in enumerate(data.get("questions") or [], start=1):
        if not isinstance(item, dict) or not item.get("q") or not item.get("pages"):
            raise ValueError(f"{path}: question {n} needs a non-empty 'q' and 'pages'")
        questions.append(Question(str(item["q"]), frozenset(str(p) for p in item["pages"])))
    return questions


def recall_at_k(index: "SourceIndex", questions: list[Question], k: int = 5) -> tuple[float, list[Question]]:
    """Share of questions with a chunk of an answering source in the top ``k``, and the misses."""
    misses = [q for q in questions if not q.sources & {h.source for h in index.search(q.text, k)}]
    return (1.0 - len(misses) / len(questions) if questions else 0.0), misses
