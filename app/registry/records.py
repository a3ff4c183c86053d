"""Records the registry returns: plain pydantic models, JSON-ready for the CLI and UI."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models import Draft, Flag, SOPStatus


SignatureMeaning = Literal["reviewed", "approved"]


class Actor(BaseModel):
    """Who did something: an authenticated user's id and printed name (or the system itself)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="The user id (never a typed name); 'system' for sopdraft's own checks.")
    name: str = Field(description="The printed name at the time of the action.")


SYSTEM = Actor(id="system", name="sopdraft")


class Waiver(BaseModel):
    """A signed-in reviewer's written decision to accept one critique finding."""

    flag_id: str
    reason: str
    author: str
    author_id: str = ""
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
    owner_id: str = ""
    approver_id: str = ""
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
    author_id: str = ""
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
    author_id: str = ""


class AuditEntry(BaseModel):
    """One row of the append-only, hash-chained audit log."""

    seq: int
    at: datetime
    actor: str
    actor_name: str = Field("", description="Printed name; empty on rows made before accounts existed.")
    action: str
    draft_id: str = ""
    version: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str
    hash: str

    @property
    def who(self) -> str:
        """``Dana Reyes (u-1a2b)``, or the bare actor marked as an unverified name on older rows."""
        return f"{self.actor_name} ({self.actor})" if self.actor_name else f"{self.actor} (unverified name)"


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
    files: list[Path] = Field(description="The SOP's renditions (Markdown, DOCX, JSON).")
    manifest: Path | None = Field(None, description="The signed manifest of those files and the signatures.")
    index_files: list[Path]
    commit: str | None = None


class User(BaseModel):
    """A person who can sign in (local password and/or an OIDC identity)."""

    user_id: str
    login: str
    full_name: str
    email: str = ""
    job_title: str = Field("", description="Printed under the name on signatures, e.g. 'Operations Manager'.")
    roles: list[str] = Field(default_factory=list)
    disabled: bool = False
    has_password: bool = False
    oidc_issuer: str | None = None
    oidc_subject: str | None = None
    created_at: datetime
    created_by: str

    @property
    def actor(self) -> Actor:
        """This user as the actor of an audited action."""
        return Actor(id=self.user_id, name=self.full_name)


class TokenInfo(BaseModel):
    """A session or API token (the secret itself is only ever shown once, at creation)."""

    token_id: str
    user_id: str
    kind: Literal["session", "api"]
    roles: list[str]
    label: str = ""
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class SignatureRecord(BaseModel):
    """The signed fields of one electronic signature (what the registry key signs)."""

    draft_id: str
    version: int
    sop_id: str
    meaning: SignatureMeaning
    signer_id: str
    signer_name: str
    signer_title: str = ""
    signed_at: datetime
    content_hash: str
    key_id: str = Field(description="Fingerprint of the registry public key that signed it.")
    auth_method: str = Field(description="How the signer re-authenticated: 'password' or 'oidc'.")


class Signature(BaseModel):
    """A signature record and its Ed25519 signature (base64) over the record's canonical JSON."""

    record: SignatureRecord
    signature: str
