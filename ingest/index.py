"""The source index: Chroma collection + embedding model + manifest, behind one small API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ingest.chunking import Chunk
from ingest.embeddings import MODEL_SHA256, make_chroma_embedding_function
from ingest.manifest import Manifest
from ingest.models import IngestProgress, IngestReport, SearchHit, SourceInfo
from ingest.store import all_ids, chunk_metadata, delete_ids, make_client, open_collection, to_hit

if TYPE_CHECKING:
    import numpy as np

    from app.settings import Settings
    from ingest.lexical import LexicalIndex

# Bump when extraction, chunking or the embedded text changes, so that existing indexes are
# rebuilt on the next ingest rather than mixing old and new chunks.
CHUNKER_VERSION = 3


class SourceIndex:
    """Ingest documents and search them. Open with :meth:`open`; one instance per process."""

    def __init__(self, settings: "Settings", client: Any, manifest: Manifest) -> None:
        self.settings = settings
        self.client = client
        self.manifest = manifest
        self.embedding_function = make_chroma_embedding_function(settings.ingest.embed_batch_size)
        self._lexical: "LexicalIndex | None" = None
        self.collection = open_collection(client, settings.ingest.collection, self.embedding_function)
        self.max_batch = min(5000, client.get_max_batch_size())

    @classmethod
    def open(cls, settings: "Settings") -> "SourceIndex":
        """Open (or create) the index under ``settings.index_dir`` and repair what a crash left."""
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        manifest = Manifest.load(settings.index_dir / "manifest.json")
        index = cls(settings, make_client(settings.ingest, settings.index_dir), manifest)
        index.reconcile()
        return index

    @property
    def config(self) -> dict[str, str | int | float]:
        """What the stored chunks and vectors depend on; a change forces a full rebuild."""
        ingest = self.settings.ingest
        return {"embedding": MODEL_SHA256, "chunker": CHUNKER_VERSION,
                "chunk_size": ingest.chunk_size, "chunk_overlap": ingest.chunk_overlap}

    def ingest(self, paths: list[Path], *, full: bool = False,
               progress: Callable[[IngestProgress], None] | None = None, follow_links: bool = False) -> IngestReport:
        """Index files and folders; unchanged files are skipped unless ``full`` (or settings changed).

        Links in a folder that point outside it are refused unless ``follow_links``.
        """
        from ingest.pipeline import IngestRun

        if full or (self.manifest.files and self.manifest.data.config != self.config):
            self._reset()
        self.manifest.data.config = self.config
        self._lexical = None
        try:
            return IngestRun(self, progress, follow_links).run(list(paths))
        finally:
            self._lexical = None

    def _reset(self) -> None:
        """Drop every chunk and forget every file (manifest first, so a crash cannot resurrect them)."""
        self.manifest.data.files.clear()
        self.manifest.save()
        self.client.delete_collection(self.settings.ingest.collection)
        self.collection = open_collection(self.client, self.settings.ingest.collection, self.embedding_function)

    def write_chunks(self, chunks: list[Chunk], vectors: "np.ndarray", source_sha256: list[str]) -> None:
        """Upsert chunks with their vectors (idempotent: ids are deterministic)."""
        for begin in range(0, len(chunks), self.max_batch):
            part = slice(begin, begin + self.max_batch)
            self.collection.upsert(
                ids=[c.chunk_id for c in chunks[part]],
                embeddings=vectors[part],
                documents=[c.text for c in chunks[part]],
                metadatas=[chunk_metadata(c, sha) for c, sha in zip(chunks[part], source_sha256[part])],
            )

    def reconcile(self) -> None:
        """Make Chroma and the manifest agree after an interrupted run."""
        pending = {p: e for p, e in self.manifest.files.items() if e.state == "pending"}
        expected = self.manifest.all_chunk_ids()
        if not pending and not self.manifest.recovered and self.collection.count() == len(expected):
            return
        present = all_ids(self.collection)
        for path, entry in pending.items():
            if entry.chunks and set(entry.chunks) <= present:
                # The upsert finished; only the cleanup of replaced chunks may be missing.
                delete_ids(self.collection, entry.stale, self.max_batch)
                present -= set(entry.stale)
                entry.state, entry.stale = "done", []
            else:
                del self.manifest.files[path]
        for path, entry in list(self.manifest.files.items()):
            if not set(entry.chunks) <= present:
                del self.manifest.files[path]
        orphans = present - self.manifest.all_chunk_ids()
        delete_ids(self.collection, orphans, self.max_batch)
        self.manifest.recovered = False
        self.manifest.save()

    def embed(self, texts: list[str]) -> "np.ndarray":
        """Unit-length vectors ``(len(texts), 384)`` from the index's model (loaded on first use)."""
        return self.embedding_function.embedder.embed(list(texts))

    def search(self, query: str, k: int = 5, *, sources: list[str] | None = None) -> list[SearchHit]:
        """The ``k`` best distinct chunks for ``query`` (optionally only from ``sources``), best first."""
        from ingest.search import search

        return search(self, query, k, sources)

    def get(self, chunk_ids: list[str]) -> list[SearchHit]:
        """Chunks by id, in the given order; unknown ids are skipped."""
        if not chunk_ids:
            return []
        found = self.collection.get(ids=list(dict.fromkeys(chunk_ids)), include=["documents", "metadatas"])
        by_id = {i: to_hit(i, d, m, 0.0) for i, d, m in zip(found["ids"], found["documents"], found["metadatas"])}
        return [by_id[i] for i in chunk_ids if i in by_id]

    def count(self) -> int:
        """Number of chunks in the index."""
        return self.collection.count()

    def sources(self) -> list[SourceInfo]:
        """Every indexed source file, sorted by source name."""
        return sorted(
            (SourceInfo(source=e.source, sha256=e.sha256, size=e.size, mtime=e.mtime_ns / 1e9,
                        chunks=len(e.chunks), root=e.root)
             for e in self.manifest.files.values() if e.state == "done"),
            key=lambda s: s.source,
        )

    def source_hashes(self) -> dict[str, str]:
        """``source -> sha256`` of every indexed file (drift detection for approved SOPs)."""
        return {s.source: s.sha256 for s in self.sources()}

    def chunks_of(self, source: str) -> list[SearchHit]:
        """Every chunk of ``source`` in document order."""
        found = self.collection.get(where={"source": source}, include=["documents", "metadatas"])
        hits = [to_hit(i, d, m, 0.0) for i, d, m in zip(found["ids"], found["documents"], found["metadatas"])]
        return sorted(hits, key=lambda h: (h.page or 0, h.start))

    def lexical(self) -> "LexicalIndex":
        """The BM25 index over all chunks, built on first use after each ingest."""
        from ingest.lexical import LexicalIndex

        if self._lexical is None:
            ids, texts = [], []
            offset = 0
            while True:
                page = self.collection.get(include=["documents"], limit=self.max_batch, offset=offset)
                ids += page["ids"]
                texts += page["documents"]
                if len(page["ids"]) < self.max_batch:
                    break
                offset += self.max_batch
            self._lexical = LexicalIndex(ids, texts)
        return self._lexical

    def close(self) -> None:
        """Release the Chroma client (the model is freed with the object)."""
        self._lexical = None
        self.client.close()
