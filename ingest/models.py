"""Records the index hands to its callers: search hits, progress, and ingest reports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

# Exit codes of `sopdraft ingest` (see README, section "ingest").
EXIT_OK = 0
EXIT_SOME_FAILED = 3
EXIT_ALL_FAILED = 4

FileStatus = Literal["ingested", "unchanged", "failed", "removed"]


class SearchHit(BaseModel):
    """One chunk of a source document, as found by search or fetched by id."""

    source: str = Field(description="Path relative to the ingested root (the file name for a single file).")
    page: int | None = Field(None, description="1-based page for PDFs, else None.")
    heading: str = Field("", description="Heading path, e.g. 'Travel > Booking'.")
    chunk_id: str
    score: float = Field(description="Cosine similarity to the query; 0 for hits fetched by id.")
    text: str
    start: int = Field(description="Character offset of the chunk in the extracted document text.")
    end: int
    source_sha256: str = Field(description="sha256 of the source file the chunk was cut from.")


class IngestProgress(BaseModel):
    """Where an ingest run is, reported after each file and each embedded batch."""

    files_done: int
    files_total: int
    chunks_done: int
    current: str = ""
    fraction: float = Field(0.0, description="Estimated share of the run done (0-1), for bars and ETAs.")


class FileResult(BaseModel):
    """The outcome for one file."""

    path: str
    source: str
    status: FileStatus
    reason: str = ""
    chunks: int = 0


class IngestReport(BaseModel):
    """The outcome of one ingest run."""

    files: list[FileResult] = Field(default_factory=list)
    duration_s: float = 0.0
    chunks_total: int = Field(0, description="Chunks in the index after the run.")

    def count(self, status: FileStatus) -> int:
        """How many files ended with ``status``."""
        return sum(1 for f in self.files if f.status == status)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def chunks_added(self) -> int:
        """Chunks written by this run (new or changed files)."""
        return sum(f.chunks for f in self.files if f.status == "ingested")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def exit_code(self) -> int:
        """0 when no file failed, 3 when some failed, 4 when every file failed."""
        failed = self.count("failed")
        if failed == 0:
            return EXIT_OK
        return EXIT_ALL_FAILED if failed == len(self.files) else EXIT_SOME_FAILED


class SourceInfo(BaseModel):
    """One ingested source file."""

    source: str
    sha256: str
    size: int
    mtime: float
    chunks: int
    root: str = Field(description="The folder (or file) that was ingested.")
