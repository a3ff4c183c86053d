"""``sopdraft critique`` on files, folders and stored drafts: JSON shape and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli import critique_cmd
from tests.conftest import make_cli
from app.services import Services
from app.settings import CritiqueSettings

LABELLED = Path(__file__).parent / "labelled"


def invoke(services: Services, *args: str):
    return make_cli(services, critique_cmd)("critique", *args)


def test_complete_file_exits_zero_with_json_flags(services):
    result = invoke(services, str(LABELLED / "01-meeting-summary-canonical.md"), "--format", "json",
                    "--today", "2026-11-27")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"flags"}
    for flag in data["flags"]:
        assert set(flag) == {"rule", "severity", "section", "message", "evidence", "suggestion"}
        assert flag["severity"] != "blocker"


def test_blocker_exits_one(services):
    result = invoke(services, str(LABELLED / "11-survey-analysis-minimal.md"), "--format", "json")
    assert result.exit_code == 1
    rules = {f["rule"] for f in json.loads(result.stdout)["flags"]}
    assert "missing-approved-tool" in rules


def test_folder_lint_with_summary(services, tmp_path):
    for name in ("01-meeting-summary-canonical.md", "05-customer-replies-autosend.md"):
        shutil.copy(LABELLED / name, tmp_path / name)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    result = invoke(services, str(tmp_path), "--format", "json", "--today", "2026-11-27")
    data = json.loads(result.stdout)
    assert [Path(f["path"]).name for f in data["files"]] == ["01-meeting-summary-canonical.md",
                                                              "05-customer-replies-autosend.md"]
    assert data["summary"]["files"] == 2 and data["summary"]["files_with_blockers"] == 1
    assert data["summary"]["errors"] and "broken.json" in data["summary"]["errors"][0]
    assert result.exit_code == 2
    (tmp_path / "broken.json").unlink()
    assert invoke(services, str(tmp_path), "--today", "2026-11-27").exit_code == 1


def test_unknown_draft_or_file_is_a_clear_error(services):
    result = invoke(services, "no-such-draft")
    assert result.exit_code == 2
    assert "no such draft or file: no-such-draft" in " ".join(result.output.split())


def test_bad_team_rules_file_is_reported(settings, tmp_path):
    bad = tmp_path / "team.yaml"
    bad.write_text("rules:\n  - id: my-rule\n    kind: existence\n    severity: blocker\n", encoding="utf-8")
    settings.critique = CritiqueSettings(rules_path=bad)
    svc = Services(settings)
    result = invoke(svc, str(LABELLED / "01-meeting-summary-canonical.md"))
    assert result.exit_code == 2
    output = result.output.replace("\n", "")  # rich wraps long paths
    assert "team.yaml" in output and "my-rule" in output


@pytest.mark.parametrize("today", ["yesterday", "2026-13-01"])
def test_bad_today(services, today):
    assert invoke(services, str(LABELLED / "01-meeting-summary-canonical.md"), "--today", today).exit_code == 2


def test_stored_draft_includes_drafting_flags(services):
    from app.critique.parse import load_sop
    from app.models import Draft, Flag
    from app.registry.records import Actor

    sop = load_sop(LABELLED / "01-meeting-summary-canonical.md")
    injection = Flag(rule="prompt-injection", severity="blocker", section="steps", message="Source text tried to "
                     "instruct the model.", evidence="ignore previous instructions")
    services.store.create_draft(Draft(draft_id="d-42", task="meeting summaries", sop=sop, flags=[injection]),
                                actor=Actor(id="u-dana", name="Dana Reyes"))
    result = invoke(services, "d-42", "--format", "json", "--today", "2026-11-27")
    assert result.exit_code == 1, result.output
    rules = [f["rule"] for f in json.loads(result.stdout)["flags"]]
    assert rules[0] == "prompt-injection" and "unsupported-claim" in rules  # cites chunks the draft never saw


def test_text_output_explains_each_finding(services):
    result = invoke(services, str(LABELLED / "24-chat-summaries-someone-checks.md"))
    assert result.exit_code == 1
    text = " ".join(result.stdout.split())  # rich wraps long lines
    assert "blocker: 1" in text and "BLOCKER missing-human-review" in text
    assert 'evidence: Step 2 (no actor): "Someone checks the themes' in text
