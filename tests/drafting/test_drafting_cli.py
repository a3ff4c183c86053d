"""``sopdraft draft`` shows each section as soon as it is drafted, then the stored draft."""

from __future__ import annotations

import shutil
from datetime import timedelta

from app.cli import draft_cmd
from app.services import Services
from tests.conftest import make_cli
from tests.support.drafting import question_model
from tests.support.people import author_of


def test_draft_command_streams_sections_as_they_finish(settings, tmp_path, examples_dir) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(examples_dir / "meeting-summaries.md", notes)
    svc = Services(settings, chat_model=question_model())
    assert svc.index.ingest([notes]).exit_code == 0
    token = svc.accounts.issue_token(author_of(svc), kind="api", ttl=timedelta(hours=1))[1]
    result = make_cli(svc, draft_cmd)("draft", "Summarise internal meetings with AI", "--section", "purpose",
                                      "--section", "steps", token=token)
    svc.close()
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("(not yet verified)") == 2
    assert out.index("Purpose (not yet verified)") < out.index("Next: ")
    assert "Before the meeting, the organiser turns on recording and transcription in Teams" in out
