"""Records the registry returns: plain pydantic models, JSON-ready for the CLI and UI."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.models import Draft, Flag, SOPStatus


class Waiver(BaseModel):
    """A named person's written decision to accept one critique finding."""

    flag_id: str
    reason: str
    author: str
    created_at: datetime
    version: int = Field(description="The draft version the waiver was made on.")
    rule: str = ""
    section: str = ""
    message: str = ""


class Approval(BaseModel):
    """Sign-off of one exact version (tied to the SHA-256 of its canonical content)."""

    draft_id: str
    version: int
    sop_id: str
    doc_version: str
    owner_name: str
    owner_role: str
    approver: str
    approved_at: datetime
    content_hash: str
    effective_date: date
    review_cadence_months: int
    next_review_date: date
    flags: list[Flag] = Field(default_factory=list, description="Critique snapshot at sign-off.")
    waivers: list[Waiver] = Field(default_factory=list)
    source_hashes: dict[str, str] = Field(
        default_factory=dict, description="source -> sha256 of every source the SOP cites."
    )


class DraftRecord(BaseModel):
    """One stored version of a draft, with its state, approval and waivers."""

    draft_id: str
    version: int
    status: SOPStatus
    draft: Draft
    author: str
    reason: str
    created_at: datetime
    approval: Approval | None = None
    waivers: list[Waiver] = Field(default_factory=list)
    latest_version: int = Field(0, description="The newest version of this draft (optimistic lock).")


class DraftSummary(BaseModel):
    """One line of the draft list (latest version of each draft)."""

    draft_id: str
    sop_id: str
    title: str
    status: SOPStatus
    version: int
    owner: str
    updated_at: datetime
    next_review_date: date | None = None


class VersionInfo(BaseModel):
    """One line of a draft's version history."""

    version: int
    status: SOPStatus
    author: str
    reason: str
    created_at: datetime
    content_hash: str
    approved_by: str = ""


class AuditEntry(BaseModel):
    """One row of the append-only, hash-chained audit log."""

    seq: int
    at: datetime
    actor: str
    action: str
    draft_id: str = ""
    version: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str
    hash: str


class AuditReport(BaseModel):
    """Outcome of :meth:`Store.verify_audit`."""

    ok: bool
    entries: int
    head_hash: str
    problems: list[str] = Field(default_factory=list)


class DueItem(BaseModel):
    """An approved SOP whose review is due, overdue, or brought forward by source drift."""

    draft_id: str
    version: int
    sop_id: str
    title: str
    owner: str
    next_review_date: date
    days_left: int
    reason: Literal["overdue", "due", "source-drift"]


class DriftItem(BaseModel):
    """A source cited by an approved SOP that changed or disappeared since approval."""

    draft_id: str
    version: int
    sop_id: str
    title: str
    source: str
    approved_hash: str
    current_hash: str | None
    change: Literal["changed", "deleted"]


class ExportResult(BaseModel):
    """What an export wrote."""

    draft_id: str
    version: int
    sop_id: str
    doc_version: str
    directory: Path
    files: list[Path]
    index_files: list[Path]
    commit: str | None = None
