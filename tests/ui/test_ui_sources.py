"""The Sources page under AppTest: empty state, upload and ingest, per-file errors, search, browse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import Settings
from tests.ui.ui_helpers import button, ingest_notes, no_errors, services_of, texts

NOTES = b"# Meeting notes\n\nThe organiser exports the transcript from Teams within 24 hours.\n\n" \
        b"The team lead reviews the summary before it is shared in the channel.\n"


@pytest.fixture
def ui_env(ui_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """The usual environment, with one server folder the UI may ingest from beyond loopback."""
    monkeypatch.setenv("SOPDRAFT_AUTH__INGEST_ROOTS", json.dumps([str(tmp_path / "shared")]))
    return ui_env


@pytest.fixture
def beyond_loopback():
    """Streamlit's ``server.address`` as ``sopdraft ui --host 0.0.0.0`` sets it (restored afterwards)."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    yield
    config.set_option("server.address", before)


def test_fresh_app_opens_on_sources_with_an_empty_state(app):
    no_errors(app)
    page = texts(app)
    assert "No sources yet" in page
    assert "Upload your process notes" in page
    assert "nothing leaves this machine" in page  # the fake provider is local


def test_upload_ingests_and_reports_each_file(app, settings):
    app.file_uploader[0].upload("notes.md", NOTES, "text/markdown").upload("empty.txt", b" \n", "text/plain")
    button(app, "Ingest").click()
    app.run()
    no_errors(app)
    assert (settings.data_dir / "uploads" / "notes.md").read_bytes() == NOTES
    report = app.dataframe[0].value
    rows = dict(zip(report["File"], report["Status"]))
    assert rows == {"notes.md": "ingested", "empty.txt": "failed"}
    reason = report[report["File"] == "empty.txt"]["Reason"].iloc[0]
    assert reason  # the failure says why
    assert any("1 ingested" in w.value and "1 failed" in w.value for w in app.warning)
    assert [s.source for s in services_of(app).index.sources()] == ["notes.md"]


def test_missing_folder_is_a_friendly_error(app, tmp_path):
    app.text_input[0].input(str(tmp_path / "nowhere"))
    button(app, "Ingest").click()
    app.run()
    assert not app.exception
    assert any("no such file or folder" in e.value for e in app.error)


def test_search_and_browse_show_passages_as_text(app, tmp_path):
    note = tmp_path / "notes.md"
    note.write_bytes(NOTES + b"\n<script>alert(1)</script> [click](http://evil.example)\n")
    ingest_notes(app, [note])
    app.run()
    no_errors(app)
    assert "No sources yet" not in texts(app)
    app.text_input[1].input("who reviews the summary").run()
    hits = [t.value for t in app.text]
    assert any("team lead reviews the summary" in h for h in hits)
    assert any("<script>alert(1)</script>" in h for h in hits)  # shown literally, as text
    app.selectbox[0].select("notes.md").run()
    no_errors(app)
    assert app.expander, "the chosen document's passages are listed"


def test_adding_sources_needs_the_author_role(login_page, team):
    from tests.ui.ui_helpers import sign_in

    sign_in(login_page, "sam")
    no_errors(login_page)
    assert "Adding sources needs the author role" in texts(login_page)
    assert not login_page.file_uploader and not any(b.label == "Ingest" for b in login_page.button)


def test_beyond_loopback_only_uploads_and_the_configured_folders_are_read(app, tmp_path, beyond_loopback):
    shared, private = tmp_path / "shared", tmp_path / "private"
    for folder in (shared, private):
        folder.mkdir()
        (folder / "notes.md").write_bytes(NOTES)
    app.run()
    app.text_input[0].input(str(shared / ".." / "private"))  # a way out of the allowed folder
    button(app, "Ingest").click().run()
    assert any("only ingests uploads and folders under" in e.value.replace("\\", "") for e in app.error)
    assert services_of(app).index.sources() == []
    app.text_input[0].input(str(shared / ".." / "shared"))
    button(app, "Ingest").click().run()
    no_errors(app)
    assert [s.source for s in services_of(app).index.sources()] == ["notes.md"]
