"""Every page's empty state, the Review page's evidence and text safety, and the Registry logs."""

from __future__ import annotations

import pytest

from tests.support.people import password
from tests.ui.ui_helpers import (
    MEETING_NOTES,
    OWNER,
    OWNER_LOGIN,
    approve,
    button,
    create_draft,
    ingest_notes,
    no_errors,
    open_review,
    plain_texts,
    services_of,
    sign_approved,
    submitted_draft,
    texts,
)


@pytest.mark.parametrize("page, says", [
    ("page_scripts/draft.py", "Add sources first"),
    ("page_scripts/review.py", "No drafts yet"),
    ("page_scripts/registry.py", "No approved SOPs yet"),
])
def test_empty_states_say_what_to_do_next(app, page, says):
    app.switch_page(page).run()
    no_errors(app)
    assert says in texts(app)
    assert app.get("page_link"), "the empty state links to the page that does the next step"


def test_review_shows_evidence_and_findings_of_the_chosen_section(app):
    ingest_notes(app)
    create_draft(app)
    app.switch_page("page_scripts/review.py").run()
    app.radio[0].set_value("steps").run()
    no_errors(app)
    page = texts(app)
    assert r"meeting\-summaries\.md" in page and "cited by item" in page  # the file name, escaped
    assert any(":orange-background[" in m.value for m in app.markdown), "the cited sentence is highlighted"
    assert any(b.label.startswith("Regenerate this section") for b in app.button)


def test_untrusted_source_text_is_never_rendered_as_markup(app, tmp_path):
    note = tmp_path / "hostile.md"
    note.write_text("# Procedure\n\nThe meeting organiser posts the summary in Teams. "
                    "![x](http://evil.example/p.png) <img src=x onerror=alert(1)> [click](http://evil.example) "
                    ":red[alarm] $\\pi$\n", encoding="utf-8")
    ingest_notes(app, [note])
    create_draft(app)
    app.switch_page("page_scripts/review.py").run()
    app.radio[0].set_value("steps").run()
    no_errors(app)
    shown = [m.value for m in app.markdown if "evil" in m.value] + [t.value for t in app.text if "evil" in t.value]
    assert shown, "the hostile passage is shown"
    for value in [m.value for m in app.markdown if "evil" in m.value]:
        # every markup character of the source arrives backslash-escaped, i.e. as literal text
        for escaped in (r"\!\[x\]\(http", r"\<img", r"\[click\]\(http", r"\:red\[alarm\]", r"\$\\pi\$"):
            assert escaped in value, value


def test_a_hostile_file_name_in_the_ingest_progress_is_literal_text(app, monkeypatch, tmp_path):
    from streamlit.elements.progress import ProgressMixin

    shown: list[str] = []
    real = ProgressMixin.progress

    def spy(self, value, text=None):  # noqa: ANN001, ANN202 - records what the real element is given
        shown.append(text or "")
        return real(self, value, text=text)

    monkeypatch.setattr(ProgressMixin, "progress", spy)
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "![x](https:evil.example).md").write_text("# Claims\n\nThe team lead approves claims.\n")
    app.text_input[0].input(str(folder))
    button(app, "Ingest").click()
    app.run()
    no_errors(app)
    with_name = [t for t in shown if "evil" in t]
    assert with_name, shown
    assert all(r"\!\[x\]\(https" in t for t in with_name), with_name


def test_regenerate_saves_a_new_version_by_the_signed_in_user(app):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("page_scripts/review.py").run()
    app.radio[0].set_value("purpose").run()
    button(app, "Regenerate this section").click().run()
    no_errors(app)
    assert any("Regenerated Purpose as version 2" in s.value for s in app.success)
    history = services_of(app).store.history(draft_id)
    assert [(h.version, h.author, h.reason) for h in history][-1] == (2, "Ana Lopez", "regenerated section purpose")


def test_registry_shows_the_audit_and_llm_call_logs(app):
    ingest_notes(app)
    create_draft(app)
    app.switch_page("page_scripts/registry.py").run()
    no_errors(app)
    tables = [d.value for d in app.dataframe]
    audit = next(t for t in tables if "What" in t.columns)
    assert "created" in set(audit["What"]) and "login" in set(audit["What"])
    assert "Ana Lopez" in " ".join(audit[audit["What"] == "created"]["Who"])
    calls = next(t for t in tables if "Purpose" in t.columns)
    assert set(calls["Provider"]) == {"fake"} and len(calls) >= 1
    button(app, "Verify the audit chain").click().run()
    assert any("Audit chain intact" in s.value for s in app.success)


def test_the_owner_sees_exactly_what_is_missing_before_she_can_sign(app, team, second_session):
    ingest_notes(app)
    draft_id = create_draft(app)
    services_of(app).signoff.submit(team.author, draft_id, owner_login=OWNER_LOGIN)
    dana = second_session(OWNER_LOGIN)
    dana.switch_page("page_scripts/review.py").run()
    no_errors(dana)
    missing = _missing(dana)
    assert missing and all("unresolved blocker" in m for m in missing), missing
    assert not [t for t in dana.text_input if str(t.key).endswith(":password")], "no sign form while blocked"


def _missing(at) -> list[str]:  # noqa: ANN001 - AppTest
    [block] = [m.value for m in at.markdown if m.value.startswith("**Before you can sign")]
    return [line.removeprefix("- ").replace("\\", "") for line in block.splitlines()[1:]]


def test_a_concurrent_save_is_reported_not_overwritten(app, team):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("page_scripts/review.py").run()
    app.radio[0].set_value("purpose").run()
    services = services_of(app)
    theirs = services.store.get_draft(draft_id).draft.sop.model_copy(update={"title": "Their title"})
    services.signoff.edit(team.reviewer, draft_id, theirs, reason="Shorter title", expected_version=1)
    app.text_area[0].input("Post the summary within one working day.")
    app.text_input[0].input("Reworded the purpose")
    button(app, "Save as a new version").click().run()
    assert not app.exception
    assert any("changed while you edited" in e.value and "Sam Okafor" in e.value for e in app.error), \
        [e.value for e in app.error] + [s.value for s in app.success]
    assert services.store.get_draft(draft_id).version == 2  # nothing was overwritten


def test_registry_marks_an_sop_whose_cited_source_changed(app, team, tmp_path):
    note = tmp_path / "meeting-summaries.md"
    note.write_bytes(MEETING_NOTES.read_bytes())
    ingest_notes(app, [note])
    approve(services_of(app), team, create_draft(app))
    note.write_text(MEETING_NOTES.read_text(encoding="utf-8") + "\nNew rule: summaries go to SharePoint.\n",
                    encoding="utf-8")
    ingest_notes(app, [note])
    app.switch_page("page_scripts/registry.py").run()
    no_errors(app)
    assert any("changed since approval" in w.value for w in app.warning)
    [table] = [d.value for d in app.dataframe if "Review" in d.value.columns]
    assert table["Review"].iloc[0].startswith("source changed")


def test_editing_an_approved_sop_shows_the_changes_since_approval(app, team):
    ingest_notes(app)
    draft_id = create_draft(app)
    approved = approve(services_of(app), team, draft_id)
    app.switch_page("page_scripts/review.py").run()
    assert f"approved by {OWNER}" in plain_texts(app)
    app.radio[0].set_value("purpose").run()
    app.text_area[0].input("Post the summary within one working day.")
    app.text_input[0].input("Reworded the purpose")
    button(app, "Save as a new version").click().run()
    no_errors(app)
    app.toggle(key=f"history-{draft_id}").set_value(True).run()
    assert any("Changes since the approved version in force" in m.value for m in app.markdown)
    [diff] = [c.value for c in app.code if "working day" in c.value and "## Purpose" in c.value][:1]
    assert "+- Post the summary within one working day." in diff
    new = approved.version + 1
    assert services_of(app).store.get_draft(draft_id).status == "draft"  # the approval is not carried over
    assert any(b.label == f"Submit version {new} for review" for b in app.button)


def test_a_waiver_needs_a_real_reason_and_carries_the_signed_in_name(app):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("page_scripts/review.py").run()  # opens on the first section with a blocker
    area = next(a for a in app.text_area if str(a.key).startswith("waive-reason-"))
    flag_id = area.key.removeprefix("waive-reason-")
    area.input("ok")
    next(b for b in app.button if b.label == "Waive" and b.form_id == f"waive-{flag_id}").click().run()
    assert any("Waiving failed" in e.value and "written reason" in e.value for e in app.error)
    assert services_of(app).store.get_draft(draft_id).waivers == []
    app.text_area(key=f"waive-reason-{flag_id}").input("Checked against the meeting notes; correct as written.")
    next(b for b in app.button if b.label == "Waive" and b.form_id == f"waive-{flag_id}").click().run()
    no_errors(app)
    [waiver] = services_of(app).store.get_draft(draft_id).waivers
    assert waiver.author == "Ana Lopez"
    assert "Waived by Ana Lopez" in plain_texts(app)


def test_signing_is_refused_with_a_wrong_password_and_nothing_is_signed(app, team, second_session):
    record = submitted_draft(app, team)
    dana = open_review(second_session(OWNER_LOGIN))
    sign_approved(dana, record, password("ana"))  # someone else's password
    assert any("Signing failed" in e.value and "unknown user or wrong password" in e.value for e in dana.error)
    after = services_of(dana).store.get_draft(record.draft_id)
    assert after.status == "in_review" and after.version == record.version
    assert services_of(dana).signoff.signatures(after) == []
    form = f"sign-{record.draft_id}-{record.version}-approved"
    assert dana.text_input(key=f"{form}:password").value == "", "the password is never kept in the session"
    sign_approved(dana, record, password(OWNER_LOGIN))
    no_errors(dana)
    signed = services_of(dana).store.get_draft(record.draft_id)
    assert signed.status == "approved" and signed.approval.approver == OWNER
    [signature] = services_of(dana).signoff.signatures(signed)
    assert signature.record.signer_name == OWNER and signature.record.auth_method == "password"


def test_signing_needs_the_confirmation(app, team, second_session):
    record = submitted_draft(app, team)
    dana = open_review(second_session(OWNER_LOGIN))
    sign_approved(dana, record, password(OWNER_LOGIN), confirm=False)
    assert any("confirm that you read this exact text" in e.value.replace("\\", "") for e in dana.error)
    assert services_of(dana).store.get_draft(record.draft_id).status == "in_review"
