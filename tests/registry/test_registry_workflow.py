"""Workflow primitives: blockers and waivers, approval records, states and supersession.

Who may do what (roles, owner, re-authentication) is tested in test_registry_signoff.py.
"""

from __future__ import annotations

from datetime import date

import pytest
from registry_helpers import ANA, BEN, DANA, OWNER, ROLE, approve_latest, blocker, make_draft, make_sop

from app.models import Flag, Statement
from app.registry.errors import ApprovalError, WaiverError, WorkflowError
from app.registry.workflow import edit, submit_for_review, unresolved_blockers, waive

REASON = "Covered by the team's QA checklist, which requires a second reader for every summary."


def test_approval_error_lists_every_unresolved_blocker(store, created):
    second = Flag(rule="missing-owner", severity="blocker", section="metadata", message="No owner.")
    with pytest.raises(ApprovalError) as info:
        approve_latest(store, flags=[blocker(), second])
    assert len(info.value.missing) == 2 and blocker().flag_id in info.value.missing[0]
    assert str(info.value).startswith("cannot approve: ")
    assert store.get_draft("d-0001").status == "draft"


def test_only_unwaived_non_advisory_blockers_block(store, created):
    advisory = Flag(rule="llm-vague", severity="blocker", section="purpose", message="vague", advisory=True)
    warning = Flag(rule="vague", severity="warning", section="purpose", message="vague")
    assert unresolved_blockers([advisory, warning], []) == []
    with pytest.raises(ApprovalError, match="unresolved blocker"):
        approve_latest(store, flags=[blocker(), warning])
    waive(store, "d-0001", blocker().flag_id, reason=REASON, actor=BEN, flags=[blocker()])
    assert approve_latest(store, flags=[blocker(), warning]).status == "approved"


@pytest.mark.parametrize("reason", ["", "ok", "false positive", "not needed here"])
def test_waiver_needs_a_written_reason(store, created, reason):
    with pytest.raises(WaiverError, match="written reason"):
        waive(store, "d-0001", blocker().flag_id, reason=reason, actor=BEN, flags=[blocker()])
    assert store.get_draft("d-0001").waivers == []


def test_waiver_needs_a_current_finding(store, created):
    with pytest.raises(WaiverError, match="no current finding abc"):
        waive(store, "d-0001", "abc", reason=REASON, actor=BEN, flags=[blocker()])


def test_waiver_is_recorded_and_audited(store, created):
    w = waive(store, "d-0001", blocker().flag_id, reason=REASON, actor=BEN, flags=[blocker()])
    assert (w.rule, w.section, w.version) == ("missing-control", "human_review", 1)
    assert store.get_draft("d-0001").waivers == [w]
    entry = store.audit_log(limit=1)[0]
    assert (entry.action, entry.actor, entry.details["reason"]) == ("waived", BEN.id, REASON)
    assert w.author == BEN.name and w.author_id == BEN.id


def test_approval_records_hash_snapshot_sources_and_metadata(store, created):
    waive(store, "d-0001", blocker().flag_id, reason=REASON, actor=BEN, flags=[blocker()])
    rec = approve_latest(store, flags=[blocker()], today=date(2026, 8, 31))
    a, meta = rec.approval, rec.draft.sop.metadata
    assert (rec.version, rec.status) == (2, "approved")
    assert a.content_hash == rec.draft.sop.content_hash()
    assert a.flags == [blocker()] and [w.flag_id for w in a.waivers] == [blocker().flag_id]
    assert a.source_hashes == {"examples/meeting-notes.md": "a" * 64, "examples/checklist.md": "b" * 64}
    assert (meta.owner_name, meta.owner_role, meta.approver, meta.status) == (OWNER, ROLE, OWNER, "approved")
    assert (meta.version, meta.effective_date, meta.next_review_date) == ("1.0", date(2026, 8, 31), date(2027, 2, 28))
    assert rec.draft.sop.history[-1].author == OWNER
    assert [e.action for e in store.audit_log(limit=3)] == ["signed_approved", "approved", "approval_version"]


def test_review_cadence_defaults_to_twelve_months(store):
    sop = make_sop()
    sop.metadata.review_cadence_months = None
    store.create_draft(make_draft(sop=sop), actor=ANA)
    rec = approve_latest(store, today=date(2026, 11, 27))
    assert rec.approval.next_review_date == date(2027, 11, 27)
    assert rec.draft.sop.metadata.review_cadence_months == 12


def test_submit_then_approve_records_owner_and_approver_ids(store, created):
    assert submit_for_review(store, "d-0001", actor=ANA).status == "in_review"
    with pytest.raises(WorkflowError, match="only a draft"):
        submit_for_review(store, "d-0001", actor=ANA)
    rec = approve_latest(store)
    assert (rec.approval.approver, rec.approval.owner_name) == (OWNER, OWNER)
    assert (rec.approval.approver_id, rec.approval.owner_id) == (DANA.id, DANA.id)
    [signature] = store.signatures("d-0001", rec.version)
    assert (signature.record.meaning, signature.record.content_hash) == ("approved", rec.draft.sop.content_hash())


def test_editing_an_approved_sop_starts_an_unapproved_version(store, created):
    approved = approve_latest(store)
    sop = approved.draft.sop.model_copy(update={"trigger": [Statement(text="A client meeting has ended.")]})
    new = edit(store, "d-0001", sop, actor=ANA, reason="cover client meetings",
               expected_version=approved.version)
    assert (new.version, new.status, new.approval) == (3, "draft", None)
    assert (new.draft.sop.metadata.status, new.draft.sop.metadata.approver) == ("draft", "")
    assert store.get_draft("d-0001", 2).status == "approved"  # still in force until v3 is approved
    assert store.audit_log(limit=1)[0].details["approval_not_carried_over_from"] == 2

    second = approve_latest(store)
    assert second.approval.doc_version == "2.0"
    assert store.get_draft("d-0001", 2).status == "superseded"
    assert "cover client meetings" in second.draft.sop.history[-1].change


def test_approving_another_draft_of_the_same_sop_supersedes_it(store, created):
    approve_latest(store)
    store.create_draft(make_draft("d-0002"), actor=ANA)
    approve_latest(store, "d-0002")
    assert store.get_draft("d-0001").status == "superseded"
    assert store.current_approved("SOP-0001").draft_id == "d-0002"


def test_edit_needs_a_reason(store, created):
    with pytest.raises(WorkflowError, match="reason"):
        edit(store, "d-0001", created.draft.sop, actor=ANA, reason=" ", expected_version=1)
