"""Per-section evidence: each template section retrieves the chunks most relevant to it."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from app.drafting.sections import SectionSpec
from app.models import ChunkRef

# Chunks shown to the model are cut to this many characters (at a sentence end where
# possible): prompt evaluation dominates draft time on 2 cores.
SHOWN_CHARS = 700


class Searcher(Protocol):
    """What evidence gathering needs from the index."""

    def search(self, query: str, k: int = 5, *, sources: list[str] | None = None) -> list: ...


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


def gather_evidence(
    index: Searcher, task: str, specs: list[SectionSpec], *, k: int, min_score: float
) -> Evidence:
    """Retrieve up to ``k`` chunks per section with ``task + section query``.

    Hits below ``min_score`` are not evidence: a section with none stays empty and is
    flagged instead of being filled with generic text.
    """
    evidence = Evidence()
    for spec in specs:
        hits = index.search(f"{task}. {spec.query}", k=k)
        kept = [h for h in hits if h.score >= min_score]
        evidence.by_section[spec.key] = [h.chunk_id for h in kept]
        for hit in kept:
            evidence.chunks.setdefault(hit.chunk_id, chunk_ref(hit))
    return evidence


def shown_text(text: str, limit: int = SHOWN_CHARS) -> str:
    """The part of a chunk shown to the model: whole if short, else cut at a sentence end."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return cut[: end + 1] if end > limit // 2 else cut
