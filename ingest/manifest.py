"""The ingest manifest: which files are indexed, as which chunks, and in which state.

It is one JSON file rewritten atomically (temp file in the same folder, fsync, ``os.replace``).
A file's entry is saved as ``pending`` (with the chunk ids it had before) *before* Chroma is
touched and as ``done`` after, so a run killed at any moment leaves enough to repair the index.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

MANIFEST_VERSION = 1


class FileEntry(BaseModel):
    """One ingested file."""

    source: str
    root: str
    size: int
    mtime_ns: int
    sha256: str
    chunks: list[str] = Field(default_factory=list)
    state: Literal["pending", "done"] = "done"
    stale: list[str] = Field(default_factory=list, description="Chunk ids to delete before this entry is done.")


class ManifestData(BaseModel):
    """The whole manifest, keyed by absolute file path."""

    version: int = MANIFEST_VERSION
    config: dict[str, str | int | float] = Field(default_factory=dict)
    files: dict[str, FileEntry] = Field(default_factory=dict)


class Manifest:
    """Load, change and atomically save the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = ManifestData()
        self.recovered = False
        self._seen: tuple[int, int, int] | None = None  # the file this copy was read from or written as

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def reload_if_changed(self) -> bool:
        """Re-read the file when another process replaced it since this copy was read or saved."""
        seen = self._stat()
        if seen is None or seen == self._seen:
            return False
        fresh = Manifest.load(self.path)
        self.data, self.recovered, self._seen = fresh.data, self.recovered or fresh.recovered, fresh._seen
        return True

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        """Read ``path``; a missing file is an empty manifest, an unreadable one is reset (and flagged)."""
        manifest = cls(path)
        manifest._seen = manifest._stat()
        try:
            manifest.data = ManifestData.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            pass
        except (OSError, ValidationError, ValueError):
            # Only a hand edit or disk fault can do this (writes are atomic); starting empty
            # makes the next reconcile drop every chunk, and the next ingest rebuild them.
            manifest.recovered = True
        return manifest

    @property
    def files(self) -> dict[str, FileEntry]:
        """Entries keyed by absolute path."""
        return self.data.files

    def all_chunk_ids(self) -> set[str]:
        """Every chunk id referenced by a finished entry."""
        return {c for e in self.data.files.values() if e.state == "done" for c in e.chunks}

    def save(self) -> None:
        """Write atomically: a crash leaves either the old or the new manifest, never a mix."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = self.data.model_dump_json(indent=1).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            self._seen = self._stat()
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

