"""The source index: Chroma collection + embedding model + manifest, behind one small API.

Several processes (UI workers, CLI runs) may share one index: the data dir's manifest and a
Chroma server (``ingest.chroma_url``). Ingests of one index are serialised by a lock file
beside the manifest; the lock holder alone repairs what a crashed run left. Readers only
ever see chunks of files whose ingest finished: every search, fetch and listing keeps the
ids of ``done`` manifest entries (re-read when another process replaced the manifest), so
the chunks of a file still being written, or of a run that died, never reach a draft.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from filelock import FileLock, Timeout

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
LOCK_NAME = "ingest.lock"


class IngestBusy(RuntimeError):
    """Another ingest of the same index held the lock for longer than ``ingest.lock_timeout_s``."""


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
        self._writers = 0  # ingests running in this process (its manifest copy is then the truth)
        self._writers_lock = threading.Lock()

    @classmethod
    def open(cls, settings: "Settings") -> "SourceIndex":
        """Open (or create) the index under ``settings.index_dir`` and repair what a crash left."""
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        manifest = Manifest.load(settings.index_dir / "manifest.json")
        index = cls(settings, make_client(settings.ingest, settings.index_dir), manifest)
        lock = index._lock()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return index  # an ingest is running in another process: it repairs, and readers skip its chunks
        try:
            index.manifest.reload_if_changed()
            index.reconcile()
        finally:
            lock.release()
        return index

    def _lock(self) -> FileLock:
        # A new lock object (its own descriptor) per use, so two threads of one process exclude
        # each other as two processes do.
        return FileLock(str(self.settings.index_dir / LOCK_NAME), thread_local=False)

    @contextmanager
    def _writing(self, progress: Callable[[IngestProgress], None] | None) -> Iterator[None]:
        """Hold the index's ingest lock (waiting, and saying so, while another ingest runs)."""
        lock = self._lock()
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if progress is not None:
                progress(IngestProgress(files_done=0, files_total=0, chunks_done=0,
                                        current="waiting for another ingest of this index to finish"))
            started = time.monotonic()
            try:
                lock.acquire(timeout=self.settings.ingest.lock_timeout_s)
            except Timeout:
                raise IngestBusy(f"another ingest of this index has been running for over "
                                 f"{time.monotonic() - started:.0f} s (lock {lock.lock_file}); try again when it "
                                 "has finished") from None
        try:
            with self._writers_lock:
                self._writers += 1
                if self._writers == 1:
                    self.manifest.reload_if_changed()  # what other processes ingested meanwhile
            self.reconcile()
            yield
        finally:
            with self._writers_lock:
                self._writers -= 1
            lock.release()

    def _fresh_manifest(self) -> Manifest:
        """The manifest, re-read if another process replaced it (unless this process is ingesting,
        when its own copy is the truth)."""
        with self._writers_lock:
            if not self._writers:
                self.manifest.reload_if_changed()
        return self.manifest

    def visible_ids(self) -> set[str]:
        """Ids of the chunks readers may see: those of files whose ingest has finished."""
        return self._fresh_manifest().all_chunk_ids()

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

        with self._writing(progress):
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
        visible = self.visible_ids()
        wanted = [i for i in dict.fromkeys(chunk_ids) if i in visible]
        if not wanted:
            return []
        found = self.collection.get(ids=wanted, include=["documents", "metadatas"])
        by_id = {i: to_hit(i, d, m, 0.0) for i, d, m in zip(found["ids"], found["documents"], found["metadatas"])}
        return [by_id[i] for i in chunk_ids if i in by_id]

    def count(self) -> int:
        """Number of chunks in the index."""
        return self.collection.count()

    def sources(self) -> list[SourceInfo]:
        """Every indexed source file, sorted by source name."""
        files = self._fresh_manifest().files.values()
        return sorted(
            (SourceInfo(source=e.source, sha256=e.sha256, size=e.size, mtime=e.mtime_ns / 1e9,
                        chunks=len(e.chunks), root=e.root)
             for e in files if e.state == "done"),
            key=lambda s: s.source,
        )

    def source_hashes(self) -> dict[str, str]:
        """``source -> sha256`` of every indexed file (drift detection for approved SOPs)."""
        return {s.source: s.sha256 for s in self.sources()}

    def chunks_of(self, source: str) -> list[SearchHit]:
        """Every chunk of ``source`` in document order."""
        found = self.collection.get(where={"source": source}, include=["documents", "metadatas"])
        visible = self.visible_ids()
        hits = [to_hit(i, d, m, 0.0) for i, d, m in zip(found["ids"], found["documents"], found["metadatas"])
                if i in visible]
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
            visible = self.visible_ids()
            kept = [(i, t) for i, t in zip(ids, texts) if i in visible]
            self._lexical = LexicalIndex([i for i, _ in kept], [t for _, t in kept])
        return self._lexical

    def close(self) -> None:
        """Release the Chroma client (the model is freed with the object)."""
        self._lexical = None
        self.client.close()
