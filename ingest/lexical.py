"""BM25 over the indexed chunks and reciprocal-rank fusion with dense results (``retrieval.hybrid``)."""

from __future__ import annotations

from collections.abc import Sequence

# Standard RRF constant (Cormack et al. 2009): damps the weight of the very first ranks.
RRF_K = 60


class LexicalIndex:
    """An in-memory BM25 index of chunk texts, built once per index state."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        import bm25s

        self._ids = list(ids)
        self._retriever = bm25s.BM25()
        if self._ids:
            self._retriever.index(bm25s.tokenize(list(texts), show_progress=False), show_progress=False)

    def search(self, query: str, n: int, allowed: set[str] | None = None) -> list[str]:
        """Ids of the ``n`` best BM25 matches (restricted to ``allowed`` ids when given), best first."""
        import bm25s

        if not self._ids:
            return []
        tokens = bm25s.tokenize([query], show_progress=False)
        if not tokens.vocab:
            return []
        want = len(self._ids) if allowed is not None else min(n, len(self._ids))
        docs, scores = self._retriever.retrieve(tokens, k=want, show_progress=False)
        ranked = [self._ids[d] for d, s in zip(docs[0], scores[0]) if s > 0]
        if allowed is not None:
            ranked = [i for i in ranked if i in allowed]
        return ranked[:n]


def rrf_fuse(rankings: Sequence[Sequence[str]]) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion of several best-first id lists: ``(id, fused score)``, best first."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
