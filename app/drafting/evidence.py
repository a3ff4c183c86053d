"""Per-section evidence: each template section retrieves the chunks most relevant to it."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from pydantic import BaseModel, Field

from app.drafting.sections import SectionSpec
from app.models import ChunkRef
from ingest.chunking import HEADING_SEPARATOR, embedding_text

# Chunks shown to the model are cut to this many characters (at a sentence end where
# possible): prompt evaluation dominates draft time on 2 cores.
SHOWN_CHARS = 600
# Task-relevant chunks considered for every section, and how much the task similarity
# adds to the section similarity when choosing among them (it breaks ties in favour of
# the notes about this task).
POOL_SIZE = 24
TASK_WEIGHT = 0.6


class Searcher(Protocol):
    """What evidence gathering needs from the index."""

    def search(self, query: str, k: int = 5, *, sources: list[str] | None = None) -> list: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


class Evidence(BaseModel):
    """The evidence map of a draft: section -> chunk ids, and a snapshot of every chunk."""

    by_section: dict[str, list[str]] = Field(default_factory=dict)
    chunks: dict[str, ChunkRef] = Field(default_factory=dict)


def chunk_ref(hit: object) -> ChunkRef:
    """Snapshot a search hit as the draft keeps it."""
    return ChunkRef(
        chunk_id=hit.chunk_id,
        source=hit.source,
        page=hit.page,
        heading=hit.heading,
        text=hit.text,
        source_sha256=hit.source_sha256,
    )


def _candidates(index: Searcher, task: str) -> dict[str, object]:
    # Only chunks about the task: a section query searched on its own ("steps", "who
    # reviews") pulls in every procedure of a large handbook.
    return {h.chunk_id: h for h in index.search(task, k=POOL_SIZE)}


def gather_evidence(
    index: Searcher, task: str, specs: list[SectionSpec], *, k: int, min_score: float
) -> Evidence:
    """Pick up to ``k`` chunks per section that are about the task *and* about the section.

    A pool of task-relevant chunks is re-ranked for each section by similarity to the
    section's own query, so "approved tools" gets the passage about tools rather than the
    note's introduction, which matches the task best. Chunks below ``min_score`` for a
    section are not evidence: a section with none stays empty and is flagged.
    """
    pool = _candidates(index, task)
    if not pool:
        return Evidence(by_section={s.key: [] for s in specs})
    hits = list(pool.values())
    # Each chunk is seen with its own heading only ("Escalation", not the note's title,
    # which matches the task and would make every chunk look alike) against the bare
    # section query: the pool already holds only task-relevant chunks.
    vectors = index.embed([embedding_text(h.text, h.heading.split(HEADING_SEPARATOR)[-1]) for h in hits])
    queries = index.embed([spec.query for spec in specs])
    task_scores = np.array([h.score for h in hits])
    evidence = Evidence()
    for spec, query in zip(specs, queries):
        section_scores = vectors @ query
        combined = section_scores + TASK_WEIGHT * task_scores
        order = [i for i in np.argsort(-combined) if section_scores[i] >= min_score][:k]
        evidence.by_section[spec.key] = [hits[i].chunk_id for i in order]
        for i in order:
            evidence.chunks.setdefault(hits[i].chunk_id, chunk_ref(hits[i]))
    return evidence


def shown_text(text: str, limit: int = SHOWN_CHARS) -> str:
    """The part of a chunk shown to the model: whole if short, else cut at a sentence end."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return cut[: end + 1] if end > limit // 2 else cut
