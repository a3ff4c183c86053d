"""The UI's pure helpers and the ``sopdraft ui`` command (no Streamlit session needed)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.cli import ui_cmd
from app.models import SOP, Maintenance, Scope, Statement, Step
from app.services import Services
from app.ui.components import escape_markdown
from app.ui.section_text import SectionTextError, apply_section, section_to_text
from app.ui.uploads import UploadError, save_upload
from app.ui.viewmodels import cited_span, review_marker

SOP_SAMPLE = SOP(
    title="Summarise meetings",
    steps=[Step(actor="Organiser", action="Export the transcript | then check it", output="Transcript",
                citations=["a1", "b2"])],
    scope=Scope(covered=[Statement(text="Internal meetings", citations=["c3"])]),
    maintenance=Maintenance(review_cadence="every 6 months", off_cycle_triggers=[Statement(text="Tool changes")]),
)


@pytest.mark.parametrize("section", ["steps", "scope", "maintenance", "purpose", "roles"])
def test_section_text_round_trips(section):
    text = section_to_text(SOP_SAMPLE, section)
    assert apply_section(SOP_SAMPLE, section, text) == SOP_SAMPLE


def test_section_text_edits_fields_and_citations():
    sop = apply_section(SOP_SAMPLE, "steps", "Team lead | Approve the summary | Approval | Names match [src: x9]")
    assert sop.steps == [Step(actor="Team lead", action="Approve the summary", output="Approval",
                              check="Names match", citations=["x9"])]


@pytest.mark.parametrize("text, message", [
    ("a | b | c | d | e", "line 1: 5 fields"),
    ("Organiser", "line 1: action: Field required"),
    ("x" * 130 + " | act", "at most 120 characters"),
])
def test_section_text_errors_name_the_line(text, message):
    with pytest.raises(SectionTextError, match=message):
        apply_section(SOP_SAMPLE, "steps", text)


def test_composite_section_needs_a_sub_heading():
    with pytest.raises(SectionTextError, match="sub-heading"):
        apply_section(SOP_SAMPLE, "scope", "Internal meetings")
    with pytest.raises(SectionTextError, match="unknown sub-heading"):
        apply_section(SOP_SAMPLE, "scope", "### Sometimes\nx")


def test_escape_markdown_defuses_links_html_and_directives():
    escaped = escape_markdown("[x](http://e.example) <b>hi</b> :red[alert] $x$ **bold**")
    for raw in ("[x]", "](", "<b>", ":red[", "$x$", "**"):
        assert raw not in escaped


def test_cited_span_picks_the_matching_sentence():
    text = "Intro line here. The team lead approves every summary before posting. Unrelated closing words."
    start, end = cited_span(text, ["Team lead approves the summary"])
    assert text[start:end] == "The team lead approves every summary before posting."
    assert cited_span(text, ["quantum chromodynamics"]) is None


def test_review_marker():
    today = date(2026, 11, 27)
    assert review_marker(date(2026, 11, 20), today, False) == "overdue by 7 days"
    assert review_marker(date(2026, 12, 7), today, False) == "due in 10 days"
    assert review_marker(date(2027, 5, 27), today, False) == "current"
    assert review_marker(date(2027, 5, 27), today, True).startswith("source changed")


def test_save_upload_is_confined_to_the_uploads_folder(tmp_path):
    path = save_upload(tmp_path, "../../etc/passwd", b"x", max_mb=1)
    assert path == tmp_path / "passwd" and path.read_bytes() == b"x"
    with pytest.raises(UploadError, match="empty"):
        save_upload(tmp_path, "a.md", b"", max_mb=1)
    with pytest.raises(UploadError, match="over the 0.001 MB limit"):
        save_upload(tmp_path, "a.md", b"x" * 2000, max_mb=0.001)
    with pytest.raises(UploadError, match="not a usable file name"):
        save_upload(tmp_path, "../..", b"x", max_mb=1)
    assert [p.name for p in tmp_path.iterdir()] == ["passwd"]  # no temp files left behind


def _cli(settings) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = Services(settings)

    ui_cmd.register(app)
    return app


def test_ui_command_runs_streamlit_on_loopback_with_the_data_dir(settings, monkeypatch):
    seen = {}

    def fake_execve(path, cmd, env):  # noqa: ANN001 - stands in for os.execve (which would not return)
        seen.update(path=path, cmd=cmd, env=env)

    monkeypatch.setattr(ui_cmd.os, "execve", fake_execve)
    result = CliRunner().invoke(_cli(settings), ["ui", "--port", "8765"])
    assert result.exit_code == 0, result.output
    cmd = seen["cmd"]
    assert seen["path"] == cmd[0] == sys.executable
    assert cmd[1:4] == ["-m", "streamlit", "run"] and Path(cmd[4]) == ui_cmd.APP_SCRIPT
    args = dict(zip(cmd[5::2], cmd[6::2]))
    assert args["--server.port"] == "8765" and args["--server.address"] == "127.0.0.1"
    assert args["--server.headless"] == "true" and args["--browser.gatherUsageStats"] == "false"
    assert seen["env"]["SOPDRAFT_DATA_DIR"] == str(settings.data_dir)


def test_ui_command_refuses_a_non_loopback_host_without_authentication(settings, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    result = CliRunner().invoke(_cli(settings), ["ui", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "authentication is not configured" in result.output and "only listens on loopback" in result.output


def test_ui_command_serves_beyond_loopback_once_accounts_exist(settings, monkeypatch, tmp_path):
    from tests.support.people import add_team

    services = Services(settings)
    add_team(services)
    services.close()
    seen = {}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ui_cmd.os, "execve", lambda path, cmd, env: seen.update(cmd=cmd))
    result = CliRunner().invoke(_cli(settings), ["ui", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert dict(zip(seen["cmd"][5::2], seen["cmd"][6::2]))["--server.address"] == "0.0.0.0"
