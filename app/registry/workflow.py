"""Review workflow primitives: draft -> in_review -> approved -> exported (-> superseded).

Every transition checks its state preconditions, writes in one store transaction and is
audited. Who may do what (roles, ownership, re-authentication) is decided one level up, in
:mod:`app.registry.signoff`, the one service the CLI and the UI call.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date
from typing import Callable

from dateutil.relativedelta import relativedelta

from app.models import SOP, Draft, Flag, HistoryEntry
from app.registry.errors import ApprovalError, WaiverError, WorkflowError
from app.registry.records import Actor, Approval, DraftRecord, Signature, Waiver
from app.registry.store import Store, utcnow

DEFAULT_REVIEW_MONTHS = 12
MIN_REASON_CHARS = 20
MIN_REASON_WORDS = 4
# Words that show a name field was filled in to get past the form, not by a person.
PLACEHOLDER_WORDS = frozenset({
    "owner", "test", "tester", "testing", "admin", "administrator", "user", "name", "approver", "reviewer",
    "unknown", "tbd", "todo", "placeholder", "example", "sample", "dummy", "foo", "bar", "baz", "xxx", "none",
    "someone", "anyone", "nobody", "me", "asdf", "n/a", "na", "null", "doe",
})
TRIVIAL_REASONS = frozenset({"ok", "okay", "fine", "n/a", "na", "none", "waived", "waive", "accepted",
                             "not applicable", "false positive", "ignore", "test", "approved"})
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'.\-]*[.]?$|^[^\W\d_]+(['\-][^\W\d_]+)+$")


def name_problem(name: str, what: str = "owner") -> str | None:
    """Why ``name`` is not a person's full name (None when it is one)."""
    words = name.split()
    if not words:
        return f"{what}'s full name is required"
    if len(words) < 2:
        return f"{what}'s full name needs at least a first and a last name (got {name!r})"
    if any(w.lower().strip(".") in PLACEHOLDER_WORDS for w in words):
        return f"{what}'s name {name!r} looks like a placeholder; enter the real person's full name"
    if not all(_NAME_WORD.match(w) for w in words) or all(len(w.strip(".")) < 2 for w in words):
        return f"{what}'s name {name!r} is not a person's name (letters only, first and last name)"
    return None


def reason_problem(reason: str) -> str | None:
    """Why ``reason`` is too thin to justify a waiver (None when it is acceptable)."""
    text = " ".join(reason.split())
    if text.lower().strip(".! ") in TRIVIAL_REASONS or len(text) < MIN_REASON_CHARS \
            or len(text.split()) < MIN_REASON_WORDS:
        return (f"a waiver needs a written reason of at least {MIN_REASON_WORDS} words and "
                f"{MIN_REASON_CHARS} characters explaining why the finding is acceptable (got {reason!r})")
    return None


def unresolved_blockers(flags: list[Flag], waivers: list[Waiver]) -> list[Flag]:
    """Non-advisory blockers among ``flags`` that no waiver covers."""
    waived = {w.flag_id for w in waivers}
    return [f for f in flags if f.severity == "blocker" and not f.advisory and f.flag_id not in waived]


def submit_for_review(store: Store, draft_id: str, *, actor: Actor, expected_version: int | None = None,
                      prepare: Callable[[sqlite3.Connection, Draft], Draft] | None = None) -> DraftRecord:
    """Move the latest version from ``draft`` to ``in_review``.

    ``prepare`` may fill in identification (owner, SOP id) inside the same transaction; when
    it changes the content, that is saved as a new version first, then sent for review.
    """
    record = store.get_draft(draft_id)
    _require_latest(record, expected_version)
    if record.status != "draft":
        raise WorkflowError(f"draft {draft_id} v{record.version} is {record.status}; only a draft can be submitted")
    with store.transaction() as conn:
        version = store.check_expected(conn, draft_id, record.draft, record.version)
        prepared = prepare(conn, record.draft) if prepare else record.draft
        if prepared != record.draft:
            version += 1
            store.insert_version(conn, prepared, version=version, status="draft", actor=actor,
                                 reason="identification filled in for review", action="version_saved")
        store.set_status(conn, draft_id, version, "in_review", actor=actor, action="submitted")
    return store.get_draft(draft_id, version)


def edit(store: Store, draft_id: str, sop: SOP, *, actor: Actor, reason: str, expected_version: int,
         base: Draft | None = None) -> DraftRecord:
    """Save an edited SOP as a new ``draft`` version (optimistic lock on ``expected_version``).

    Editing an approved or exported SOP never changes it: the new version starts unapproved
    (no approver, state ``draft``) and the approved version stays in force until the new one
    is approved. ``base`` replaces the stored draft around the SOP (e.g. after regenerating).
    """
    if not reason.strip():
        raise WorkflowError("an edit needs a reason (what changed and why)")
    stored = store.get_draft(draft_id, expected_version)
    meta = sop.metadata.model_copy(update={"status": "draft", "approver": ""})
    draft = (base or stored.draft).model_copy(update={"sop": sop.model_copy(update={"metadata": meta})})
    with store.transaction() as conn:
        latest = store.check_expected(conn, draft_id, draft, expected_version)
        details = {"approval_not_carried_over_from": latest} if stored.approval else {}
        store.insert_version(conn, draft, version=latest + 1, status="draft", actor=actor, reason=reason,
                             action="version_saved", details=details)
    return store.get_draft(draft_id, latest + 1)


def waive(store: Store, draft_id: str, flag_id: str, *, reason: str, actor: Actor,
          flags: list[Flag] | None = None) -> Waiver:
    """Record a signed-in reviewer's written waiver of one finding (checked against ``flags`` when given)."""
    problems = [p for p in (reason_problem(reason),) if p]
    flag = None
    if flags is not None:
        flag = next((f for f in flags if f.flag_id == flag_id), None)
        if flag is None:
            known = ", ".join(f"{f.flag_id} [{f.rule}]" for f in flags) or "none"
            problems.append(f"draft {draft_id} has no current finding {flag_id} (current: {known})")
    if problems:
        raise WaiverError("cannot waive: " + "; ".join(problems))
    record = store.get_draft(draft_id)
    waiver = Waiver(flag_id=flag_id, reason=" ".join(reason.split()), author=actor.name, author_id=actor.id,
                    created_at=utcnow(), version=record.version, rule=flag.rule if flag else "",
                    section=flag.section if flag else "", message=flag.message if flag else "")
    with store.transaction() as conn:
        store.add_waiver(conn, draft_id, waiver)
    return waiver


Signer = Callable[[Draft, int], Signature]


def approve(store: Store, record: DraftRecord, *, owner: Actor, owner_role: str, approver: Actor,
            flags: list[Flag], sign: Signer, today: date | None = None,
            current_source_hashes: dict[str, str] | None = None) -> DraftRecord:
    """Sign off ``record`` (the latest version, checked by the caller); returns the new approved version.

    The approved version is a new version whose metadata carries owner, approver, dates and
    document version; ``sign(draft, version)`` makes the ``approved`` signature over its
    content, stored in the same transaction. Older approved versions of the same SOP become
    ``superseded``. ``current_source_hashes`` (source -> sha256 from the index) records the
    sources as they are now, so re-approving after a drift clears it.
    """
    blockers = unresolved_blockers(flags, record.waivers)
    if blockers:
        raise ApprovalError([f"unresolved blocker {f.flag_id} [{f.rule}] in {f.section}: {f.message} "
                             "(fix it or waive it with a reason)" for f in blockers])
    today = today or utcnow().date()
    with store.transaction() as conn:
        store.check_expected(conn, record.draft_id, record.draft, record.version)
        draft, approval = _approved_copy(store, conn, record, owner, owner_role, approver, flags, today,
                                         cited_source_hashes(record.draft, current_source_hashes))
        store.insert_version(conn, draft, version=approval.version, status="approved", actor=approver,
                             reason=f"sign-off as {approval.doc_version}", action="approval_version")
        store.add_approval(conn, approval)
        store.add_signature(conn, sign(draft, approval.version))
        for old in store.current_records(approval.sop_id):
            if (old.draft_id, old.version) != (record.draft_id, approval.version):
                store.set_status(conn, old.draft_id, old.version, "superseded", actor=approver, action="superseded",
                                 details={"by": f"{record.draft_id} v{approval.version}"})
    return store.get_draft(record.draft_id, approval.version)


def _approved_copy(store: Store, conn: sqlite3.Connection, record: DraftRecord, owner: Actor, owner_role: str,
                   approver: Actor, flags: list[Flag], today: date, sources: dict[str, str]) -> tuple[Draft, Approval]:
    sop = record.draft.sop
    sop_id = sop.metadata.sop_id or store.allocate_sop_id(conn, record.draft_id)
    prior = conn.execute("SELECT COUNT(*) FROM approvals WHERE sop_id = ?", (sop_id,)).fetchone()[0]
    doc_version = f"{prior + 1}.0"
    cadence = sop.metadata.review_cadence_months or DEFAULT_REVIEW_MONTHS
    next_review = today + relativedelta(months=cadence)
    meta = sop.metadata.model_copy(update={
        "sop_id": sop_id, "version": doc_version, "status": "approved", "owner_name": owner.name,
        "owner_role": owner_role, "approver": approver.name, "effective_date": today,
        "review_cadence_months": cadence, "next_review_date": next_review})
    change = _change_summary(store, record)
    history = [*sop.history, HistoryEntry(version=doc_version, date=today.isoformat(), author=approver.name,
                                          change=change)][-50:]
    new_sop = sop.model_copy(update={"metadata": meta, "history": history})
    draft = record.draft.model_copy(update={"sop": new_sop})
    flag_ids = {f.flag_id for f in flags}
    approval = Approval(
        draft_id=record.draft_id, version=record.version + 1, sop_id=sop_id, doc_version=doc_version,
        owner_name=owner.name, owner_role=owner_role, approver=approver.name, approved_at=utcnow(),
        owner_id=owner.id, approver_id=approver.id,
        content_hash=new_sop.content_hash(), effective_date=today, review_cadence_months=cadence,
        next_review_date=next_review, flags=flags,
        waivers=[w for w in record.waivers if w.flag_id in flag_ids], source_hashes=sources)
    return draft, approval


def _change_summary(store: Store, record: DraftRecord) -> str:
    """The edit reasons since the last approval of this draft, as one history line."""
    reasons: list[str] = []
    for info in reversed(store.history(record.draft_id)):
        if info.approved_by:
            break
        if info.reason not in reasons:
            reasons.insert(0, info.reason)
    return ("; ".join(reasons) or "approved")[:600]


def cited_source_hashes(draft: Draft, current: dict[str, str] | None = None) -> dict[str, str]:
    """source -> sha256 for every source a citation points into (``current`` hashes win when known)."""
    hashes: dict[str, str] = {}
    for chunk_id in sorted(draft.sop.all_citations()):
        chunk = draft.chunks.get(chunk_id)
        if chunk is not None:
            hashes[chunk.source] = (current or {}).get(chunk.source, chunk.source_sha256)
    return hashes


def mark_exported(store: Store, record: DraftRecord, *, actor: Actor, details: dict) -> None:
    """Move an approved version to ``exported`` (re-exports are audited, the state stays)."""
    with store.transaction() as conn:
        if record.status == "exported":
            store.append_audit(conn, actor=actor, action="re-exported", draft_id=record.draft_id,
                               version=record.version, details=details)
        else:
            store.set_status(conn, record.draft_id, record.version, "exported", actor=actor, action="exported",
                             details=details)


def _require_latest(record: DraftRecord, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != record.version:
        raise WorkflowError(f"draft {record.draft_id} is at v{record.version}, not v{expected_version}; "
                            "reload it and review the latest version")
