"""Section-by-section diffs between versions and against the approved SOP."""

from __future__ import annotations

from registry_helpers import ANA, approve_latest, make_draft

from app.models import Statement
from app.registry.diff import diff_against_approved, diff_sops, diff_versions, format_diff
from app.registry.workflow import edit


def test_identical_sops_have_no_diff(created):
    assert diff_sops(created.draft.sop, created.draft.sop) == []
    assert format_diff([]) == "(no differences)"


def test_diff_names_only_the_changed_sections(store, created):
    sop = created.draft.sop.model_copy(deep=True)
    sop.trigger.append(Statement(text="A client meeting has ended.", citations=["77aa00bb11cc"]))
    sop.steps[0].action = "Download the transcript"
    edit(store, "d-0001", sop, actor=ANA, reason="client meetings", expected_version=1)
    diffs = diff_versions(store, "d-0001", 1, 2)
    assert [d.section for d in diffs] == ["trigger", "steps"]
    assert "+- A client meeting has ended. [src: 77aa00bb11cc]" in diffs[0].lines
    assert any(line.startswith("-1 | Meeting organiser | Export the transcript") for line in diffs[1].lines)
    assert format_diff(diffs).startswith("## Trigger\n")


def test_diff_against_the_approved_sop_of_the_same_sop_id(store, created):
    assert diff_against_approved(store, "d-0001") is None
    approve_latest(store)
    other = make_draft("d-0002")
    other.sop.purpose = [Statement(text="Summarise every meeting.")]
    store.create_draft(other, actor=ANA)
    diffs = diff_against_approved(store, "d-0002")
    assert "purpose" in [d.section for d in diffs] and "metadata" in [d.section for d in diffs]
