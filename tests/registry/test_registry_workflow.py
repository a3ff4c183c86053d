"""Sign-off rules: named owner, role, confirmation, blockers and waivers; states and supersession."""

from __future__ import annotations

from datetime import date

import pytest
from registry_helpers import OWNER, ROLE, approve_latest, blocker, make_draft, make_sop

from app.models import Flag, Statement
from app.registry.errors import ApprovalError, WaiverError, WorkflowError
from app.registry.workflow import approval_problems, approve, edit, submit_for_review, waive

REASON = "Covered by the team's QA checklist, which requires a second reader for every summary."


@pytest.mark.parametrize("owner", ["", "owner", "Dana", "Test User", "Process Owner", "x1 y2"])
def test_approval_needs_a_real_full_name(store, created, owner):
    with pytest.raises(ApprovalError) as info:
        approve(store, "d-0001", owner_name=owner, owner_role=ROLE, confirm=True, flags=[])
    assert len(info.value.missing) == 1 and "name" in info.value.missing[0]
    assert store.get_draft("d-0001").status == "draft"


def test_approval_error_lists_everything_missing(store, created):
    with pytest.raises(ApprovalError) as info:
        approve(store, "d-0001", owner_name="", owner_role=" ", confirm=False, flags=[blocker()])
    missing = info.value.missing
    assert len(missing) == 4
    assert "full name is required" in missing[0]
    assert "role is required" in missing[1]
    assert "confirmation" in missing[2]
    assert blocker().flag_id in missing[3] and "missing-control" in missing[3]
    assert str(info.value).startswith("cannot approve: ")


def test_only_unwaived_non_advisory_blockers_block(store, created):
    advisory = Flag(rule="llm-vague", severity="blocker", section="purpose", message="vague", advisory=True)
    warning = Flag(rule="vague", severity="warning", section="purpose", message="vague")
    assert approval_problems(owner_name=OWNER, owner_role=ROLE, confirm=True, flags=[advisory, warning],
                             waivers=[]) == []
    with pytest.raises(ApprovalError, match="unresolved blocker"):
        approve_latest(store, flags=[blocker(), warning])
    waive(store, "d-0001", blocker().flag_id, reason=REASON, author="Ben Okafor", flags=[blocker()])
    assert approve_latest(store, flags=[blocker(), warning]).status == "approved"


@pytest.mark.parametrize("reason", ["", "ok", "false positive", "not needed here"])
def test_waiver_needs_a_written_reason(store, created, reason):
    with pytest.raises(WaiverError, match="written reason"):
        waive(store, "d-0001", blocker().flag_id, reason=reason, author="Ben Okafor", flags=[blocker()])
    assert store.get_draft("d-0001").waivers == []


def test_waiver_needs_a_named_person_and_a_current_finding(store, created):
    with pytest.raises(WaiverError, match="waiver author"):
        waive(store, "d-0001", blocker().flag_id, reason=REASON, author="admin", flags=[blocker()])
    with pytest.raises(WaiverError, match="no current finding abc"):
        waive(store, "d-0001", "abc", reason=REASON, author="Ben Okafor", flags=[blocker()])


def test_waiver_is_recorded_and_audited(store, created):
    w = waive(store, "d-0001", blocker().flag_id, reason=REASON, author="Ben Okafor", flags=[blocker()])
    assert (w.rule, w.section, w.version) == ("missing-control", "human_review", 1)
    assert store.get_draft("d-0001").waivers == [w]
    entry = store.audit_log(limit=1)[0]
    assert (entry.action, entry.actor, entry.details["reason"]) == ("waived", "Ben Okafor", REASON)


def test_approval_records_hash_snapshot_sources_and_metadata(store, created):
    waive(store, "d-0001", blocker().flag_id, reason=REASON, author="Ben Okafor", flags=[blocker()])
    rec = approve_latest(store, flags=[blocker()], today=date(2026, 8, 31))
    a, meta = rec.approval, rec.draft.sop.metadata
    assert (rec.version, rec.status) == (2, "approved")
    assert a.content_hash == rec.draft.sop.content_hash()
    assert a.flags == [blocker()] and [w.flag_id for w in a.waivers] == [blocker().flag_id]
    assert a.source_hashes == {"examples/meeting-notes.md": "a" * 64, "examples/checklist.md": "b" * 64}
    assert (meta.owner_name, meta.owner_role, meta.approver, meta.status) == (OWNER, ROLE, OWNER, "approved")
    assert (meta.version, meta.effective_date, meta.next_review_date) == ("1.0", date(2026, 8, 31), date(2027, 2, 28))
    assert rec.draft.sop.history[-1].author == OWNER
    assert [e.action for e in store.audit_log(limit=2)] == ["approved", "approval_version"]


def test_review_cadence_defaults_to_twelve_months(store):
    sop = make_sop()
    sop.metadata.review_cadence_months = None
    store.create_draft(make_draft(sop=sop), author="Ana Lopez")
    rec = approve_latest(store, today=date(2026, 11, 27))
    assert rec.approval.next_review_date == date(2027, 11, 27)
    assert rec.draft.sop.metadata.review_cadence_months == 12


def test_submit_then_approve_with_separate_approver(store, created):
    assert submit_for_review(store, "d-0001", author="Ana Lopez").status == "in_review"
    with pytest.raises(WorkflowError, match="only a draft"):
        submit_for_review(store, "d-0001", author="Ana Lopez")
    rec = approve_latest(store, approver="Chris Mbeki")
    assert (rec.approval.approver, rec.approval.owner_name) == ("Chris Mbeki", OWNER)
    with pytest.raises(WorkflowError, match="already approved"):
        approve_latest(store)


def test_approval_of_a_stale_version_is_refused(store, created):
    with pytest.raises(WorkflowError, match="not v3"):
        approve_latest(store, expected_version=3)


def test_editing_an_approved_sop_starts_an_unapproved_version(store, created):
    approved = approve_latest(store)
    sop = approved.draft.sop.model_copy(update={"trigger": [Statement(text="A client meeting has ended.")]})
    new = edit(store, "d-0001", sop, author="Ana Lopez", reason="cover client meetings",
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
    store.create_draft(make_draft("d-0002"), author="Ana Lopez")
    approve_latest(store, "d-0002")
    assert store.get_draft("d-0001").status == "superseded"
    assert store.current_approved("SOP-0001").draft_id == "d-0002"


def test_edit_needs_a_reason(store, created):
    with pytest.raises(WorkflowError, match="reason"):
        edit(store, "d-0001", created.draft.sop, author="Ana Lopez", reason=" ", expected_version=1)
