"""Per-section evidence: each template section retrieves the chunks most relevant to it."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from pydantic import BaseModel, Field

from app.drafting.passages import SHOWN_CHARS, sentence_spans
from app.drafting.sections import SectionSpec
from app.models import ChunkRef
from ingest.chunking import HEADING_SEPARATOR, embedding_text

# Task-relevant chunks considered for every section, and how much the task similarity
# adds to the section similarity when choosing among them (it breaks ties in favour of
# the notes about this task).
POOL_SIZE = 24
TASK_WEIGHT = 0.6


class Searcher(Protocol):
    """What evidence gathering needs from the index."""

    def search(self, query: str, k: int = 5, *, sources: list[str] | None = None) -> list: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def chunks_of(self, source: str) -> list: ...


class Evidence(BaseModel):
    """The evidence map of a draft: section -> chunk ids, and a snapshot of every chunk.

    ``sentence_scores[section][chunk_id]`` holds the relevance of each sentence of a long
    chunk (:func:`app.drafting.passages.sentence_spans`) to that section, so a drafting call
    shows the sentences that matter wherever they are in the chunk.
    """

    by_section: dict[str, list[str]] = Field(default_factory=dict)
    chunks: dict[str, ChunkRef] = Field(default_factory=dict)
    sentence_scores: dict[str, dict[str, list[float]]] = Field(default_factory=dict)

    def scores_for(self, sections: list[str], chunk_id: str) -> list[float] | None:
        """Per-sentence relevance of ``chunk_id`` to the best of ``sections`` (None: no scores)."""
        rows = [self.sentence_scores[s][chunk_id] for s in sections if chunk_id in self.sentence_scores.get(s, {})]
        return [max(col) for col in zip(*rows)] if rows else None


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
    heads = [h.heading.split(HEADING_SEPARATOR)[-1] for h in hits]
    vectors = index.embed([embedding_text(h.text, head) for h, head in zip(hits, heads)])
    # Long chunks are also scored sentence by sentence: a chunk whose one sentence on the
    # owner sits after a paragraph on something else is still the owner's evidence.
    owner: list[int] = []
    texts: list[str] = []
    for i, (hit, head) in enumerate(zip(hits, heads)):
        if len(hit.text) > SHOWN_CHARS:
            for start, end in sentence_spans(hit.text):
                owner.append(i)
                texts.append(embedding_text(hit.text[start:end], head))
    sentence_vectors = index.embed(texts) if texts else np.zeros((0, vectors.shape[1]))
    owners = np.array(owner, dtype=int)
    queries = index.embed([spec.query for spec in specs])
    task_scores = np.array([h.score for h in hits])
    evidence = Evidence()
    for spec, query in zip(specs, queries):
        section_scores = vectors @ query
        per_sentence = sentence_vectors @ query
        if len(owners):
            np.maximum.at(section_scores, owners, per_sentence)
        combined = section_scores + TASK_WEIGHT * task_scores
        order = [i for i in np.argsort(-combined) if section_scores[i] >= min_score][:k]
        evidence.by_section[spec.key] = [hits[i].chunk_id for i in order]
        scores = evidence.sentence_scores.setdefault(spec.key, {})
        for i in order:
            evidence.chunks.setdefault(hits[i].chunk_id, chunk_ref(hits[i]))
            if len(hits[i].text) > SHOWN_CHARS:
                scores[hits[i].chunk_id] = [round(float(x), 4) for x in per_sentence[owners == i]]
    return evidence
