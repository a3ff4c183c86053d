"""The one smoke test with the real embedded model: ingest, sign in, draft, critique from the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import build_app

pytestmark = pytest.mark.smoke


def test_cli_drafts_a_cited_sop_with_the_embedded_model(tmp_path: Path, examples_dir: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    for name in ("meeting-summaries.md", "meeting-summary-retro.txt", "ai-tools-guidance-infosec.md"):
        shutil.copy(examples_dir / name, notes / name)
    app, runner = build_app(), CliRunner()
    base = ["--data-dir", str(tmp_path / "data")]

    ingested = runner.invoke(app, [*base, "ingest", str(notes), "--format", "json"])
    assert ingested.exit_code == 0, ingested.output
    secret = "correct-horse-battery-2\n"
    added = runner.invoke(app, [*base, "user", "add", "ana", "--name", "Ana Lopez", "--role", "admin", "--role",
                                "author", "--password-stdin"], input=secret)
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, [*base, "login", "ana", "--password-stdin"], input=secret).exit_code == 0

    drafted = runner.invoke(app, [*base, "draft", "Summarise internal meetings with AI", "--format", "json"])
    assert drafted.exit_code == 0, drafted.output
    result = json.loads(drafted.stdout)
    draft = result["draft"]
    assert draft["provider"] == "local"
    cited = {c for section in draft["sop"].values() if isinstance(section, list)
             for item in section if isinstance(item, dict) for c in item.get("citations", [])}
    assert cited and cited <= set(draft["chunks"]), "every citation must point at a chunk that was shown"
    tools = " ".join(t["name"] for t in draft["sop"]["approved_tools"])
    assert "Copilot" in tools
    flagged = " ".join(f["evidence"] for f in draft["flags"] if f["rule"] == "unsupported-claim")
    for forbidden in ("ChatGPT", "NoteBuddy"):
        assert forbidden not in tools or forbidden in flagged, f"{forbidden} listed as approved and not flagged"

    critique = runner.invoke(app, [*base, "critique", result["draft_id"], "--format", "json"])
    assert critique.exit_code in (0, 1), critique.output
    assert "flags" in json.loads(critique.stdout)
    history = json.loads(runner.invoke(app, [*base, "history", result["draft_id"], "--format", "json"]).stdout)
    assert history[0]["author"] == "Ana Lopez"  # the signed-in user, never a typed name

    calls = runner.invoke(app, [*base, "log", "--format", "json"])
    logged = json.loads(calls.stdout)["calls"]
    from app.drafting.questions import load_questions

    # one call per question asked (questions whose words no note has are not asked)
    assert 1 <= len(logged) <= len(load_questions()) and all(c["provider"] == "local" and c["ok"] for c in logged)
