"""Every page's empty state, the Review page's evidence and text safety, and the Registry logs."""

from __future__ import annotations

import pytest

from tests.ui.ui_helpers import (
    MEETING_NOTES,
    OWNER,
    ROLE,
    button,
    clear_blockers,
    create_draft,
    ingest_notes,
    no_errors,
    services_of,
    texts,
)


@pytest.mark.parametrize("page, says", [
    ("pages/draft.py", "Add sources first"),
    ("pages/review.py", "No drafts yet"),
    ("pages/registry.py", "No approved SOPs yet"),
])
def test_empty_states_say_what_to_do_next(app, page, says):
    app.switch_page(page).run()
    no_errors(app)
    assert says in texts(app)
    assert app.get("page_link"), "the empty state links to the page that does the next step"


def test_review_shows_evidence_and_findings_of_the_chosen_section(app):
    ingest_notes(app)
    create_draft(app)
    app.switch_page("pages/review.py").run()
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
    app.switch_page("pages/review.py").run()
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


def test_regenerate_needs_a_name_and_then_saves_a_new_version(app):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("pages/review.py").run()
    app.radio[0].set_value("purpose").run()
    button(app, "Regenerate this section").click().run()
    assert any("enter your name" in e.value for e in app.error)
    app.text_input(key="reviewer").input("Dana Reyes").run()
    button(app, "Regenerate this section").click().run()
    no_errors(app)
    assert any("Regenerated Purpose as version 2" in s.value for s in app.success)
    history = services_of(app).store.history(draft_id)
    assert [(h.version, h.author, h.reason) for h in history][-1] == (2, "Dana Reyes", "regenerated section purpose")


def test_registry_shows_the_audit_and_llm_call_logs(app):
    ingest_notes(app)
    create_draft(app)
    app.switch_page("pages/registry.py").run()
    no_errors(app)
    tables = [d.value for d in app.dataframe]
    audit = next(t for t in tables if "What" in t.columns)
    assert "created" in set(audit["What"])
    calls = next(t for t in tables if "Purpose" in t.columns)
    assert set(calls["Provider"]) == {"fake"} and len(calls) >= 1
    button(app, "Verify the audit chain").click().run()
    assert any("Audit chain intact" in s.value for s in app.success)


def test_approval_panel_says_exactly_what_is_missing(app):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("pages/review.py").run()
    missing = _missing(app)
    assert any("owner's full name is required" in m for m in missing)
    assert any("role is required" in m for m in missing)
    assert any("confirmation is required" in m for m in missing)
    app.text_input(key=f"owner-{draft_id}-1").input("Dana Reyes").run()
    app.text_input(key=f"role-{draft_id}-1").input("Operations Manager").run()
    app.checkbox[0].check().run()
    missing = _missing(app)
    assert missing and all("unresolved blocker" in m for m in missing)
    assert button(app, "Approve version 1").disabled


def _missing(at) -> list[str]:  # noqa: ANN001 - AppTest
    [block] = [m.value for m in at.markdown if m.value.startswith("**Still missing before approval:**")]
    return [line.removeprefix("- ").replace("\\", "") for line in block.splitlines()[1:]]


def test_a_concurrent_save_is_reported_not_overwritten(app):
    from app.registry.workflow import edit

    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("pages/review.py").run()
    app.text_input(key="reviewer").input("Dana Reyes").run()
    app.radio[0].set_value("purpose").run()
    store = services_of(app).store
    theirs = store.get_draft(draft_id).draft.sop.model_copy(update={"title": "Their title"})
    edit(store, draft_id, theirs, author="Sam Okafor", reason="Shorter title", expected_version=1)
    app.text_area[0].input("Post the summary within one working day.")
    app.text_input[1].input("Reworded the purpose")
    button(app, "Save as a new version").click().run()
    assert not app.exception
    assert any("changed while you edited" in e.value and "Sam Okafor" in e.value for e in app.error), [e.value for e in app.error] + [s.value for s in app.success]
    assert store.get_draft(draft_id).version == 2  # nothing was overwritten


def _approve(at, draft_id: str) -> None:  # noqa: ANN001 - AppTest
    from app.critique import critique_draft
    from app.registry import workflow

    services = services_of(at)
    record = clear_blockers(services, draft_id)
    workflow.approve(services.store, draft_id, owner_name=OWNER, owner_role=ROLE, confirm=True,
                     flags=critique_draft(record.draft, services.catalogue))


def test_registry_marks_an_sop_whose_cited_source_changed(app, tmp_path):
    note = tmp_path / "meeting-summaries.md"
    note.write_bytes(MEETING_NOTES.read_bytes())
    ingest_notes(app, [note])
    _approve(app, create_draft(app))
    note.write_text(MEETING_NOTES.read_text(encoding="utf-8") + "\nNew rule: summaries go to SharePoint.\n",
                    encoding="utf-8")
    ingest_notes(app, [note])
    app.switch_page("pages/registry.py").run()
    no_errors(app)
    assert any("changed since approval" in w.value for w in app.warning)
    [table] = [d.value for d in app.dataframe if "Review" in d.value.columns]
    assert table["Review"].iloc[0].startswith("source changed")


def test_editing_an_approved_sop_shows_the_changes_since_approval(app):
    ingest_notes(app)
    draft_id = create_draft(app)
    _approve(app, draft_id)
    app.switch_page("pages/review.py").run()
    assert "approved by Dana Reyes" in texts(app)
    app.text_input(key="reviewer").input(OWNER)
    app.radio[0].set_value("purpose").run()
    app.text_area[0].input("Post the summary within one working day.")
    app.text_input[1].input("Reworded the purpose")
    button(app, "Save as a new version").click().run()
    no_errors(app)
    app.toggle(key=f"history-{draft_id}").set_value(True).run()
    assert any("Changes since the approved version in force" in m.value for m in app.markdown)
    [diff] = [c.value for c in app.code if "working day" in c.value and "## Purpose" in c.value][:1]
    assert "+- Post the summary within one working day." in diff
    assert button(app, "Approve version 4").disabled  # v1 draft, v2 owner named, v3 approved, v4 this edit


def test_a_waiver_needs_a_real_reason_and_a_named_person(app):
    ingest_notes(app)
    draft_id = create_draft(app)
    app.switch_page("pages/review.py").run()  # opens on the first section with a blocker
    area = next(a for a in app.text_area if str(a.key).startswith("waive-reason-"))
    flag_id = area.key.removeprefix("waive-reason-")
    area.input("ok")
    next(b for b in app.button if b.label == "Waive" and b.form_id == f"waive-{flag_id}").click().run()
    assert any("enter your name" in e.value for e in app.error)
    app.text_input(key="reviewer").input(OWNER).run()
    app.text_area(key=f"waive-reason-{flag_id}").input("ok")
    next(b for b in app.button if b.label == "Waive" and b.form_id == f"waive-{flag_id}").click().run()
    assert any("Waiving failed" in e.value and "written reason" in e.value for e in app.error)
    assert services_of(app).store.get_draft(draft_id).waivers == []
