"""Similarity by meaning, with the embedding model sopdraft ships (MiniLM int8 on onnxruntime).

Prototypes (``prototypes.yaml``: what each section and each control means) are embedded
once per process; texts are embedded in one batch per call and cached by their exact text,
so re-critiquing an unchanged SOP costs no model time. When the model cannot be loaded the
critique falls back to its synonym lists and :func:`meaning` returns None.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    import numpy as np

    from ingest.embeddings import MiniLMEmbedder

PROTOTYPES_PATH = Path(__file__).with_name("prototypes.yaml")
CACHE_LIMIT = 20_000
MAX_CHARS = 200  # a block is judged by its opening; long texts cost model time for little gain
log = logging.getLogger(__name__)


class Meaning:
    """Embeddings of texts and of the section and control prototypes."""

    def __init__(self, embedder: "MiniLMEmbedder", prototypes: dict[str, dict[str, list[str]]]) -> None:
        self._embedder = embedder
        self._cache: dict[str, "np.ndarray"] = {}
        self.groups: dict[str, tuple[list[str], "np.ndarray"]] = {}
        for group, entries in prototypes.items():
            names = [name for name, texts in entries.items() for _ in texts]
            texts = [t for ts in entries.values() for t in ts]
            self.groups[group] = (names, self.vectors(texts))

    def vectors(self, texts: list[str]) -> "np.ndarray":
        """Unit-length embeddings of ``texts`` (one model batch for the ones not cached)."""
        import numpy as np

        keys = [" ".join(t.split())[:MAX_CHARS] for t in texts]
        todo = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if todo:
            if len(self._cache) + len(todo) > CACHE_LIMIT:
                self._cache.clear()
            for key, vec in zip(todo, self._embedder.embed(todo)):
                self._cache[key] = vec
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])

    def scores(self, texts: list[str], group: str) -> list[dict[str, float]]:
        """For each text, its best similarity to each prototype name of ``group``."""
        names, protos = self.groups[group]
        if not texts:
            return []
        sims = self.vectors(texts) @ protos.T
        out: list[dict[str, float]] = []
        for row in sims:
            best: dict[str, float] = {}
            for name, value in zip(names, row):
                if value > best.get(name, -1.0):
                    best[name] = float(value)
            out.append(best)
        return out


EMBEDDED_GROUPS = ("sections", "controls")


def _read(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def load_prototypes(path: Path = PROTOTYPES_PATH) -> dict[str, dict[str, list[str]]]:
    """The prototype texts, by group (``sections``, ``controls``) and name."""
    data = _read(path)
    return {group: {k: list(v) for k, v in (data.get(group) or {}).items()} for group in EMBEDDED_GROUPS}


@lru_cache(maxsize=1)
def load_cues(path: Path = PROTOTYPES_PATH) -> dict[str, re.Pattern[str]]:
    """Per control, the words a sentence must contain before it is compared by meaning."""
    return {rule: re.compile(rx, re.IGNORECASE) for rule, rx in (_read(path).get("cues") or {}).items()}


@lru_cache(maxsize=1)
def meaning() -> Meaning | None:
    """The process-wide :class:`Meaning`, or None when the embedding model is unavailable."""
    try:
        from ingest.embeddings import EmbeddingModelError, MiniLMEmbedder
    except ImportError:  # pragma: no cover - the ingest package always ships with the app
        return None
    try:
        return Meaning(MiniLMEmbedder(batch_size=64), load_prototypes())
    except (EmbeddingModelError, ImportError, OSError) as exc:
        log.warning("critique: embedding model unavailable (%s); headings by synonyms only", exc)
        return None
