"""`sopdraft ingest` and `sopdraft search` through Typer's test runner."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from app.cli import ingest_cmd


@pytest.fixture
def cli(services):
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = services

    ingest_cmd.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


def test_ingest_json_report_exit_code_and_failed_lines(cli, notes_dir):
    (notes_dir / "empty.md").write_bytes(b"")
    result = cli("ingest", notes_dir, "--format", "json")
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["exit_code"] == 3 and report["chunks_total"] > 0
    assert {f["source"]: f["status"] for f in report["files"]}["empty.md"] == "failed"
    assert f"failed {notes_dir / 'empty.md'}: empty file (0 bytes)" in result.stderr

    (notes_dir / "empty.md").unlink()
    again = cli("ingest", notes_dir)
    assert again.exit_code == 0
    assert "0 ingested (0 chunks), 3 unchanged" in again.stdout


def test_search_json_contract(cli, notes_dir):
    assert cli("ingest", notes_dir).exit_code == 0
    result = cli("search", "lost badge", "--k", 2, "--format", "json")
    assert result.exit_code == 0
    hits = json.loads(result.stdout)["hits"]
    assert len(hits) == 2
    assert list(hits[0]) == ["source", "page", "heading", "chunk_id", "score", "text"]
    assert hits[0]["source"] == "security.txt" and hits[0]["score"] >= hits[1]["score"]

    text = cli("search", "lost badge", "--k", 1, "--source", "onboarding.md")
    assert text.exit_code == 0 and "onboarding.md" in text.stdout and "security.txt" not in text.stdout


def test_search_on_an_empty_index_says_what_to_do(cli):
    result = cli("search", "anything")
    assert result.exit_code == 0 and "sopdraft ingest PATH" in result.stdout
