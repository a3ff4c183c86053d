"""One ingest run: plan the files, skip unchanged ones, embed changed ones in batches, remove deleted ones.

Crash safety: before Chroma is written, the affected manifest entries are saved as ``pending``
(new chunk ids plus the ``stale`` ids they replace); after the write they are saved as
``done``. Chunk ids are deterministic, so redoing an interrupted upsert never duplicates
anything, and :meth:`ingest.index.SourceIndex.reconcile` finishes or rolls back what a killed
run left pending.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ingest.chunking import Chunk, chunk_document
from ingest.loaders import Budget, LoadError, extract, read_source, refuse_outside_link, walk
from ingest.manifest import FileEntry
from ingest.models import FileResult, IngestProgress, IngestReport
from ingest.store import delete_ids

if TYPE_CHECKING:
    from ingest.index import SourceIndex

log = logging.getLogger(__name__)

@dataclass
class Planned:
    """A file found under one of the given paths."""

    path: Path
    root: str
    source: str


@dataclass
class Candidate:
    """A new or changed file, loaded and chunked, waiting to be embedded."""

    planned: Planned
    size: int
    mtime_ns: int
    sha256: str
    chunks: list[Chunk]


@dataclass
class Plan:
    """What a run will look at, and which indexed files disappeared."""

    files: list[Planned] = field(default_factory=list)
    missing: list[FileResult] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


class IngestRun:
    """Ingest ``paths`` into ``index``; see :meth:`SourceIndex.ingest`."""

    def __init__(self, index: "SourceIndex", progress: Callable[[IngestProgress], None] | None,
                 follow_links: bool = False) -> None:
        self.index = index
        self.follow_links = follow_links
        self.manifest = index.manifest
        self.progress = progress
        self.results: list[FileResult] = []
        self.files_total = 0
        self.files_done = 0
        self.chunks_done = 0
        self._dirty = False  # manifest changed without a save (size/mtime refresh of unchanged files)
        self._removed: list[tuple[str, str]] = []
        # source -> absolute path, for indexed files and for files accepted in this run.
        self._owners = {e.source: p for p, e in self.manifest.files.items()}

    def run(self, paths: list[Path]) -> IngestReport:
        """Process every file, then report."""
        started = time.perf_counter()
        plan = self.plan(paths)
        self.files_total = len(plan.files)
        self.results.extend(plan.missing)
        batch: list[Candidate] = []
        for planned in plan.files:
            outcome = self.check(planned)
            if isinstance(outcome, Candidate):
                batch.append(outcome)
                if sum(len(c.chunks) for c in batch) >= self.index.settings.ingest.write_batch_chunks:
                    self.flush(batch)
                    batch = []
                continue
            self.results.append(outcome)
            self._advance(planned.source)
        if batch:
            self.flush(batch)
        self.remove(plan.gone)
        if self._dirty:
            self.manifest.save()
        self.results.extend(
            FileResult(path=p, source=src, status="removed", reason="deleted from its folder", chunks=0)
            for p, src in self._removed
        )
        position = {str(p.path): n for n, p in enumerate(plan.files)}
        self.results.sort(key=lambda r: position.get(r.path, len(position)))
        return IngestReport(files=self.results, duration_s=time.perf_counter() - started,
                            chunks_total=self.index.count())

    def plan(self, paths: list[Path]) -> Plan:
        """Expand folders, and find indexed files that no longer exist under a given path."""
        plan = Plan()
        real: set[str] = set()  # each file once, however often and under whatever name it is given

        def add(planned: Planned) -> None:
            target = os.path.realpath(planned.path)
            if target not in real:
                real.add(target)
                plan.files.append(planned)

        for given in paths:
            path = Path(os.path.abspath(given))
            if path.is_dir():
                files = walk(path, follow_links=self.follow_links)
                for f in files:
                    add(Planned(f, str(path), f.relative_to(path).as_posix()))
                seen = {str(f) for f in files}
                plan.gone += [p for p, e in self.manifest.files.items() if e.root == str(path) and p not in seen]
            elif path.exists():
                add(Planned(path, str(path), path.name))
            else:
                indexed = [p for p, e in self.manifest.files.items() if str(path) in (p, e.root)]
                plan.gone += indexed
                if not indexed:
                    plan.missing.append(FileResult(path=str(given), source=path.name, status="failed",
                                                   reason="no such file or folder"))
        return plan

    def check(self, planned: Planned) -> FileResult | Candidate:
        """Skip an unchanged file, or load and chunk a new or changed one."""
        key = str(planned.path)
        entry = self.manifest.files.get(key)
        try:
            if not self.follow_links:  # before the unchanged check: a link indexed earlier is dropped
                refuse_outside_link(planned.path, Path(planned.root))
            stat = planned.path.stat()
            if entry and entry.state == "done" and (entry.size, entry.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                return self._result(planned, "unchanged", len(entry.chunks))
            data = read_source(planned.path, self.index.settings.ingest.max_file_mb)
            digest = hashlib.sha256(data).hexdigest()
            if entry and entry.state == "done" and entry.sha256 == digest:
                entry.size, entry.mtime_ns = stat.st_size, stat.st_mtime_ns
                self._dirty = True
                return self._result(planned, "unchanged", len(entry.chunks))
            self._check_source_clash(planned)
            chunks = chunk_document(extract(planned.path, data, self._budget(planned.path)), planned.source,
                                    self.index.settings.ingest)
            if not chunks:
                raise LoadError(planned.path, "no text to index after chunking")
        except LoadError as exc:
            return self._failed(planned, exc.reason)
        except OSError as exc:
            return self._failed(planned, f"cannot read: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001 - a parser's bug must not stop the batch
            log.exception("extracting %s failed", planned.path)
            return self._failed(planned, f"could not be read ({type(exc).__name__}: {str(exc)[:120]}); "
                                         "the details are in the sopdraft log")
        return Candidate(planned, stat.st_size, stat.st_mtime_ns, digest, chunks)

    def _budget(self, path: Path) -> Budget:
        cfg = self.index.settings.ingest
        return Budget(path, seconds=cfg.max_load_seconds, max_expanded_mb=cfg.max_expanded_mb)

    def _check_source_clash(self, planned: Planned) -> None:
        owner = self._owners.setdefault(planned.source, str(planned.path))
        if owner != str(planned.path):
            raise LoadError(planned.path, f"source name {planned.source!r} is already taken by {owner}; "
                                          "rename one of them or ingest them from different folders")

    def _failed(self, planned: Planned, reason: str) -> FileResult:
        # A file that no longer loads must not keep serving its old chunks.
        if str(planned.path) in self.manifest.files:
            self.remove([str(planned.path)], record=False)
            reason += " (its previous chunks were removed from the index)"
        return self._result(planned, "failed", 0, reason)

    @staticmethod
    def _result(planned: Planned, status: str, chunks: int, reason: str = "") -> FileResult:
        return FileResult(path=str(planned.path), source=planned.source, status=status,  # type: ignore[arg-type]
                          reason=reason, chunks=chunks)

    def _advance(self, current: str) -> None:
        self.files_done += 1
        self._report(current)

    def _report(self, current: str, partial_files: float = 0.0) -> None:
        """Tell the caller; ``partial_files`` is the embedded share of the batch being written."""
        if self.progress is not None:
            fraction = (self.files_done + partial_files) / self.files_total if self.files_total else 1.0
            self.progress(IngestProgress(files_done=self.files_done, files_total=self.files_total,
                                         chunks_done=self.chunks_done, current=current, fraction=min(1.0, fraction)))

    def flush(self, batch: list[Candidate]) -> None:
        """Embed and write a batch of files, bracketed by pending/done manifest saves."""
        for cand in batch:
            old = self.manifest.files.get(str(cand.planned.path))
            new_ids = [c.chunk_id for c in cand.chunks]
            stale = sorted(set(old.chunks + old.stale) - set(new_ids)) if old else []
            self.manifest.files[str(cand.planned.path)] = FileEntry(
                source=cand.planned.source, root=cand.planned.root, size=cand.size, mtime_ns=cand.mtime_ns,
                sha256=cand.sha256, chunks=new_ids, state="pending", stale=stale,
            )
        self.manifest.save()
        chunks = [c for cand in batch for c in cand.chunks]
        vectors = self._embed([c.embed_text for c in chunks], batch[0].planned.source, len(batch))
        self.index.write_chunks(chunks, vectors, [cand.sha256 for cand in batch for _ in cand.chunks])
        for cand in batch:
            entry = self.manifest.files[str(cand.planned.path)]
            delete_ids(self.index.collection, entry.stale, self.index.max_batch)
            entry.state, entry.stale = "done", []
            self.results.append(self._result(cand.planned, "ingested", len(cand.chunks)))
            self.files_done += 1
        self.manifest.save()
        self._dirty = False
        self._report(batch[-1].planned.source)

    def _embed(self, texts: list[str], current: str, files: int):  # type: ignore[no-untyped-def]
        """Vectors for ``texts`` (a batch of ``files`` files) in one call, so all of them are
        sorted by length together; progress is reported after each model batch."""
        done = 0

        def on_batch(rows: int) -> None:
            nonlocal done
            done += rows
            self.chunks_done += rows
            self._report(current, files * done / len(texts))

        return self.index.embedding_function.embedder.embed(texts, on_batch=on_batch)

    def remove(self, keys: list[str], record: bool = True) -> None:
        """Drop files from the index: pending entry with every id stale, delete, then forget."""
        keys = [k for k in keys if k in self.manifest.files]
        if not keys:
            return
        for key in keys:
            entry = self.manifest.files[key]
            entry.stale, entry.chunks, entry.state = sorted(set(entry.chunks + entry.stale)), [], "pending"
        self.manifest.save()
        for key in keys:
            delete_ids(self.index.collection, self.manifest.files[key].stale, self.index.max_batch)
            entry = self.manifest.files.pop(key)
            self._owners.pop(entry.source, None)
            if record:
                self._removed.append((key, entry.source))
        self.manifest.save()
        self._dirty = False
