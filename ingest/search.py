"""Dense search over the collection, optionally fused with BM25 (``retrieval.hybrid``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ingest.models import SearchHit
from ingest.store import to_hit

if TYPE_CHECKING:
    import numpy as np

    from ingest.index import SourceIndex

# Candidates fetched per requested hit: room for dropping duplicate texts and for fusion.
OVERFETCH = 4


def search(index: "SourceIndex", query: str, k: int, sources: list[str] | None) -> list[SearchHit]:
    """The ``k`` best distinct chunks for ``query``, best first."""
    total = index.count()
    if k <= 0 or total == 0 or not query.strip():
        return []
    n = min(total, max(k * OVERFETCH, 20))
    where = {"source": {"$in": list(sources)}} if sources else None
    vector = index.embed([query])
    hits = _dense(index, vector, n, where)
    if index.settings.retrieval.hybrid:
        hits = _fuse(index, query, vector, n, hits, sources)
    return _distinct(hits, k)


def _dense(index: "SourceIndex", vector: "np.ndarray", n: int, where: dict[str, Any] | None) -> list[SearchHit]:
    found = index.collection.query(query_embeddings=vector, n_results=n, where=where,
                                   include=["documents", "metadatas", "distances"])
    visible = index.visible_ids()  # never the chunks of a file still being written
    return [
        to_hit(i, d, m, 1.0 - float(dist))
        for i, d, m, dist in zip(found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0])
        if i in visible
    ]


def _fuse(index: "SourceIndex", query: str, vector: "np.ndarray", n: int, dense: list[SearchHit],
          sources: list[str] | None) -> list[SearchHit]:
    """Reciprocal-rank fusion of the dense list with BM25's best ``n``.

    The order is the fused one, but every score stays the cosine similarity to the query, so
    thresholds on ``score`` (drafting's ``min_score``) mean the same with or without BM25.
    """
    from ingest.lexical import rrf_fuse

    allowed = None
    if sources:
        wanted = set(sources)
        allowed = {c for e in index.manifest.files.values() if e.source in wanted for c in e.chunks}
    lexical = index.lexical().search(query, n, allowed)
    fused = [i for i, _ in rrf_fuse([[h.chunk_id for h in dense], lexical])]
    known = {h.chunk_id: h for h in dense}
    missing = [i for i in fused if i not in known]
    if missing:
        found = index.collection.get(ids=missing, include=["documents", "metadatas", "embeddings"])
        for i, d, m, e in zip(found["ids"], found["documents"], found["metadatas"], found["embeddings"]):
            known[i] = to_hit(i, d, m, float(vector[0] @ e))
    return [known[i] for i in fused if i in known]


def _distinct(hits: list[SearchHit], k: int) -> list[SearchHit]:
    """Drop repeated texts (the same paragraph in two files), keeping the better-ranked one."""
    seen: set[str] = set()
    out: list[SearchHit] = []
    for hit in hits:
        key = " ".join(hit.text.split())
        if key in seen:
            continue
        seen.add(key)
        out.append(hit)
        if len(out) == k:
            break
    return out
