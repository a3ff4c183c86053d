"""The main flow under AppTest: ingest -> draft (fake model) -> edit -> submit to the owner ->
waive -> the owner signs in her own session -> export, each step through the pages people use."""

from __future__ import annotations

from app.models import SECTION_TITLES
from tests.ui.ui_helpers import (
    FEW_SECTIONS,
    OWNER,
    OWNER_LOGIN,
    TASK,
    WAIVER_REASON,
    button,
    create_draft,
    identity_of,
    ingest_notes,
    no_errors,
    open_review,
    plain_texts,
    sign_approved,
    services_of,
    texts,
)
from tests.support.people import password


def select_section(at, key: str) -> None:  # noqa: ANN001 - AppTest
    """Open one section of the Review page."""
    at.radio[0].set_value(key).run()
    no_errors(at)


def blocker_sections(at) -> list[str]:  # noqa: ANN001 - AppTest
    """The sections whose label still counts a blocker."""
    keys = ["other", *SECTION_TITLES]  # the order of the Review page's section list
    return [key for key, label in zip(keys, at.radio[0].options) if "blocker" in label]


def waive_open_blockers(at) -> int:  # noqa: ANN001 - AppTest
    """Waive every open blocker through its waive form; returns how many were waived."""
    waived = 0
    while sections := blocker_sections(at):
        select_section(at, sections[0])
        area = next(a for a in at.text_area if str(a.key).startswith("waive-reason-"))
        flag_id = area.key.removeprefix("waive-reason-")
        area.input(WAIVER_REASON)
        [submit] = [b for b in at.button if b.label == "Waive" and b.form_id == f"waive-{flag_id}"]
        submit.click().run()
        no_errors(at)
        waived += 1
    return waived


def save_section(at, section: str, change, reason: str) -> None:  # noqa: ANN001 - AppTest, Callable[[str], str]
    """Edit one section's text with ``change`` and save it as a new version."""
    select_section(at, section)
    editor = next(a for a in at.text_area if str(a.key).endswith(":text"))
    editor.input(change(editor.value))
    next(t for t in at.text_input if str(t.key).endswith(":reason")).input(reason)
    button(at, "Save as a new version").click().run()
    no_errors(at)


def submit_to_owner(at, draft_id: str) -> None:  # noqa: ANN001 - AppTest
    """Choose the owner in the submit form and send the latest version for review."""
    version = services_of(at).store.get_draft(draft_id).version
    at.selectbox(key=f"submit-{draft_id}-{version}:owner").set_value(OWNER_LOGIN)
    button(at, f"Submit version {version} for review").click().run()
    no_errors(at)


def test_draft_page_drafts_with_live_progress_and_opens_review(app):
    ingest_notes(app)
    app.switch_page("page_scripts/draft.py").run()
    no_errors(app)
    assert not app.text_input, "the author is the signed-in user, never a typed name"
    app.text_area[0].input(TASK)
    app.multiselect[0].set_value(FEW_SECTIONS)
    button(app, "Draft").click()
    app.run()
    no_errors(app)
    assert any("created" in s.value for s in app.success)
    assert app.title[0].value == "Review"  # switched to the Review page with the new draft open
    assert TASK in texts(app)
    [summary] = services_of(app).store.list_drafts()
    [v1] = services_of(app).store.history(summary.draft_id)
    assert v1.author == "Ana Lopez"


def test_draft_page_asks_for_the_missing_inputs(app):
    ingest_notes(app)
    app.switch_page("page_scripts/draft.py").run()
    button(app, "Draft").click()
    app.run()
    assert any("describe the task" in w.value for w in app.warning)
    assert services_of(app).store.list_drafts() == []


def test_edit_submit_waive_sign_export_across_two_sessions(app, second_session, settings):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("page_scripts/review.py").run()
    no_errors(app)
    assert "recorded as Ana Lopez" in plain_texts(app)
    assert not any(b.label.startswith("Sign version") for b in app.button)

    save_section(app, "purpose", lambda text: text.replace("one business day", "one working day"),
                 "Say working day, as the team does")
    assert any("Saved version 2" in s.value for s in app.success)
    submit_to_owner(app, draft_id)
    assert any("is in review" in s.value for s in app.success)
    assert waive_open_blockers(app) >= 1
    assert not blocker_sections(app)
    assert "only the SOP's owner, Dana Reyes, may approve it" in plain_texts(app)
    assert not any(str(t.key).endswith(":password") for t in app.text_input)

    dana = open_review(second_session(OWNER_LOGIN))
    no_errors(dana)
    sign_approved(dana, services_of(dana).store.get_draft(draft_id), password(OWNER_LOGIN))
    no_errors(dana)
    assert "Approved: SOP-" in plain_texts(dana)
    record = services_of(dana).store.get_draft(draft_id)
    assert record.status == "approved" and record.approval.approver == OWNER
    assert {h.author for h in services_of(dana).store.history(draft_id) if h.version < record.version} == {"Ana Lopez"}
    assert all(w.author == "Ana Lopez" for w in record.approval.waivers)

    dana.switch_page("page_scripts/registry.py").run()
    no_errors(dana)
    button(dana, "Export").click()
    dana.run()
    no_errors(dana)
    assert any("Exported" in s.value for s in dana.success)
    assert len(dana.get("download_button")) == 3
    [markdown] = [p for p in settings.registry_dir.rglob("*.md") if record.approval.sop_id in str(p.parent)]
    front = markdown.read_text(encoding="utf-8")
    assert OWNER in front and f"content_hash: {record.approval.content_hash}" in front
    assert identity_of(app).user.full_name == "Ana Lopez"  # the first session is still Ana's


def test_submitting_to_an_owner_names_her_on_the_sop(app):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("page_scripts/review.py").run()
    before = services_of(app).signoff.flags(services_of(app).store.get_draft(draft_id))
    assert "missing-owner" in {f.rule for f in before}
    submit_to_owner(app, draft_id)
    record = services_of(app).store.get_draft(draft_id)
    assert record.status == "in_review" and record.draft.sop.metadata.owner_name == OWNER
    assert "missing-owner" not in {f.rule for f in services_of(app).signoff.flags(record)}
    assert f"Owner: {OWNER}" in plain_texts(app)
