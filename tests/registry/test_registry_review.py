"""Review cycle (due / overdue) and source drift of approved SOPs."""

from __future__ import annotations

from datetime import date

from registry_helpers import ANA, approve_latest, make_draft, make_sop

from app.registry.records import Actor
from app.registry.review import check_drift, due

CURRENT = {"examples/meeting-notes.md": "a" * 64, "examples/checklist.md": "b" * 64}


def test_due_lists_overdue_and_due_soon_but_not_later_or_drafts(store):
    for n, cadence in ((1, 1), (2, 2), (3, 12)):
        sop = make_sop(title=f"SOP {n}", sop_id=f"SOP-{n}")
        sop.metadata.review_cadence_months = cadence
        store.create_draft(make_draft(f"d-{n}", sop), actor=ANA)
        approve_latest(store, f"d-{n}", today=date(2026, 1, 10))
    store.create_draft(make_draft("d-draft", make_sop(sop_id="SOP-9")), actor=ANA)
    items = due(store, date(2026, 2, 20), within_days=30)
    assert [(i.sop_id, i.reason, i.days_left) for i in items] == [("SOP-1", "overdue", -10), ("SOP-2", "due", 18)]
    assert due(store, date(2026, 2, 20), within_days=10)[-1].sop_id == "SOP-1"


def test_unchanged_sources_do_not_drift(store, created):
    approve_latest(store)
    assert check_drift(store, CURRENT) == []
    assert check_drift(store, {**CURRENT, "examples/unrelated.md": "c" * 64}) == []


def test_changed_and_deleted_sources_are_named_flagged_once_and_audited(store, created):
    rec = approve_latest(store)
    current = {"examples/meeting-notes.md": "f" * 64}
    items = check_drift(store, current, actor=Actor(id="u-watch", name="Ingest Watcher"))
    assert [(i.source, i.change, i.current_hash) for i in items] == [
        ("examples/checklist.md", "deleted", None), ("examples/meeting-notes.md", "changed", "f" * 64)]
    flags = store.flags("d-0001", rec.version, origin="drift")
    assert [f.rule for f in flags] == ["source-drift", "source-drift"]
    assert "examples/checklist.md was deleted" in flags[0].message
    assert [e.action for e in store.audit_log(limit=2)] == ["flag_drift", "flag_drift"]
    assert len(check_drift(store, current)) == 2  # still reported ...
    assert len(store.flags("d-0001", rec.version, origin="drift")) == 2  # ... but recorded only once
    [item] = due(store, rec.approval.effective_date)
    assert (item.reason, item.sop_id) == ("source-drift", "SOP-0001")
    assert store.verify_audit().ok


def test_reapproval_with_current_hashes_clears_drift(store, created):
    from app.registry.workflow import edit

    approve_latest(store)
    current = {**CURRENT, "examples/meeting-notes.md": "f" * 64}
    assert len(check_drift(store, current)) == 1
    rec = store.get_draft("d-0001")
    edit(store, "d-0001", rec.draft.sop, actor=ANA, reason="re-checked against new notes",
         expected_version=rec.version)
    approve_latest(store, current_source_hashes=current)
    assert check_drift(store, current) == []
