"""Every page's empty state, the Review page's evidence and text safety, and the Registry logs."""

from __future__ import annotations

import pytest

from tests.ui.ui_helpers import button, create_draft, ingest_notes, no_errors, services_of, texts


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
