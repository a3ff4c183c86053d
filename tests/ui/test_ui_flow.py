"""The main flow under AppTest: ingest -> draft (fake model) -> edit -> blocked approval -> waive
-> approve -> export, each step through the pages a reviewer uses."""

from __future__ import annotations

from app.models import SECTION_TITLES
from tests.ui.ui_helpers import FEW_SECTIONS, OWNER, TASK, button, create_draft, ingest_notes, no_errors, services_of, texts

WAIVER_REASON = "Checked by hand against the meeting notes; the statement is correct as written."


def _select_section(at, key: str) -> None:  # noqa: ANN001 - AppTest
    radio = at.radio[0]
    radio.set_value(key).run()
    no_errors(at)


def _blocker_sections(at) -> list[str]:  # noqa: ANN001 - AppTest
    keys = ["other", *SECTION_TITLES]  # the order of the Review page's section list
    return [key for key, label in zip(keys, at.radio[0].options) if "blocker" in label]


def _waive_open_blockers(at) -> int:  # noqa: ANN001 - AppTest
    waived = 0
    while sections := _blocker_sections(at):
        _select_section(at, sections[0])
        area = next(a for a in at.text_area if str(a.key).startswith("waive-reason-"))
        flag_id = area.key.removeprefix("waive-reason-")
        area.input(WAIVER_REASON)
        [submit] = [b for b in at.button if b.label == "Waive" and b.form_id == f"waive-{flag_id}"]
        submit.click().run()
        no_errors(at)
        waived += 1
    return waived


def test_draft_page_drafts_with_live_progress_and_opens_review(app):
    ingest_notes(app)
    app.switch_page("pages/draft.py").run()
    no_errors(app)
    app.text_area[0].input(TASK)
    app.text_input[0].input(OWNER)
    app.multiselect[0].set_value(FEW_SECTIONS)
    button(app, "Draft").click()
    app.run()
    no_errors(app)
    assert any("created" in s.value for s in app.success)
    assert app.title[0].value == "Review"  # switched to the Review page with the new draft open
    assert TASK in texts(app)
    assert app.text_input(key="reviewer").value == OWNER  # the name is remembered across pages


def test_draft_page_asks_for_the_missing_inputs(app):
    ingest_notes(app)
    app.switch_page("pages/draft.py").run()
    button(app, "Draft").click()
    app.run()
    assert any("describe the task" in w.value and "enter your name" in w.value for w in app.warning)
    assert services_of(app).store.list_drafts() == []


def test_review_edit_block_waive_approve_export(app, settings):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("pages/review.py").run()
    no_errors(app)
    approve = button(app, "Approve version 1")
    assert approve.disabled
    assert "owner" in texts(app) and "Still missing before approval" in texts(app)

    app.text_input(key="reviewer").input(OWNER).run()
    _select_section(app, "purpose")
    editor = app.text_area[0]
    editor.input(editor.value.replace("one business day", "one working day"))
    app.text_input[1].input("Say working day, as the team does")
    button(app, "Save as a new version").click()
    app.run()
    no_errors(app)
    assert any("Saved version 2" in s.value for s in app.success)

    _select_section(app, "other")
    form = [t for t in app.text_input if t.label.startswith(("Owner", "What changed"))]
    form[0].input(OWNER)
    form[1].input("Operations Manager")
    form[2].input("Named the owner")
    button(app, "Save as a new version").click()
    app.run()
    no_errors(app)
    assert services_of(app).store.get_draft(draft_id).version == 3

    assert button(app, "Approve version 3").disabled  # blockers still open
    assert "unresolved blocker" in texts(app)
    assert _waive_open_blockers(app) >= 1
    assert not _blocker_sections(app)

    app.checkbox[0].check().run()
    approve = button(app, "Approve version 3")
    assert not approve.disabled, texts(app)
    approve.click().run()
    no_errors(app)
    record = services_of(app).store.get_draft(draft_id)
    assert record.status == "approved" and record.approval.owner_name == OWNER

    app.switch_page("pages/registry.py").run()
    no_errors(app)
    button(app, "Export Markdown, DOCX and JSON").click()
    app.run()
    no_errors(app)
    assert any("Exported" in s.value for s in app.success)
    assert len(app.get("download_button")) == 3
    exported = record.approval.sop_id
    [markdown] = [p for p in settings.registry_dir.rglob("*.md") if exported in str(p.parent)]
    front = markdown.read_text(encoding="utf-8")
    assert f"approver: {OWNER}" in front and f"content_hash: {record.approval.content_hash}" in front
    [as_json] = [p for p in settings.registry_dir.rglob("*.json") if exported in str(p.parent)]
    assert record.approval.content_hash in as_json.read_text(encoding="utf-8")


def test_owner_named_in_the_approval_panel_counts_for_the_critique(app):
    def missing() -> str:
        return texts(app).split("Still missing before approval", 1)[-1].replace("\\", "")

    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("pages/review.py").run()
    no_errors(app)
    before = missing()
    assert "[missing-owner]" in before
    app.text_input(key=f"owner-{draft_id}-1").input(OWNER).run()
    app.text_input(key=f"role-{draft_id}-1").input("Operations Manager").run()
    no_errors(app)
    after = missing()
    assert "[missing-owner]" not in after
    assert after.count("unresolved blocker") == before.count("unresolved blocker") - 1
