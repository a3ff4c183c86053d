"""Exported SOPs (Markdown, DOCX, JSON) parse back to the same SOP and the same critique findings."""

from __future__ import annotations

import json

import pytest
import typer
from registry_helpers import ANA, approve_latest, export_latest, make_draft, make_sop
from typer.testing import CliRunner

from app.cli import critique_cmd
from app.critique import critique, load_catalogue
from app.critique.parse import load_sop, parse_markdown
from app.models import SOP, DataRules, HistoryEntry, Maintenance, Scope, Statement


def _full_sop() -> SOP:
    cite = ["3fa9c1d2e4b5"]
    sop = make_sop()
    sop.scope = Scope(covered=[Statement(text="Internal meetings of the operations team.", citations=cite)],
                      out_of_scope=[Statement(text="Board meetings.")])
    sop.inputs = [Statement(text="The meeting transcript.", citations=cite)]
    sop.data_rules = DataRules(prohibited=[Statement(text="Client personal data must not be pasted.", citations=cite)])
    sop.human_review = [Statement(text="The organiser checks the summary before sending it.", citations=cite)]
    sop.quality_checks = [Statement(text="Every action item has an owner and a due date.")]
    sop.maintenance = Maintenance(review_cadence="every 6 months", feedback_route="Ops channel", citations=cite,
                                  off_cycle_triggers=[Statement(text="The tool changes.")])
    sop.references = [Statement(text="Team QA checklist.", citations=["77aa00bb11cc"])]
    sop.history = [HistoryEntry(version="0.9", date="2026-10-01", author="Ana Lopez", change="first | draft")]
    return sop


def _normalised(sop: SOP) -> dict:
    """The SOP as data with whitespace collapsed (the format puts each item on one line)."""
    def walk(value):
        if isinstance(value, str):
            return " ".join(value.split())
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(sop.model_dump(mode="json"))


@pytest.fixture
def exported(store, tmp_path):
    """The full SOP approved and exported in every format."""
    store.create_draft(make_draft(sop=_full_sop()), actor=ANA)
    record = approve_latest(store)
    return record, export_latest(store, "d-0001", tmp_path / "reg", git_commit=False)


def test_exported_markdown_round_trips_to_the_same_sop_and_findings(exported):
    record, result = exported
    md = next(f for f in result.files if f.suffix == ".md")
    parsed = parse_markdown(md.read_text(encoding="utf-8"))
    assert _normalised(parsed) == _normalised(record.draft.sop)
    catalogue = load_catalogue(None)
    assert critique(parsed, catalogue) == critique(record.draft.sop, catalogue)


@pytest.mark.parametrize("suffix", [".docx", ".json"])
def test_docx_and_json_exports_round_trip_too(exported, suffix):
    record, result = exported
    parsed = load_sop(next(f for f in result.files if f.suffix == suffix))
    assert _normalised(parsed) == _normalised(record.draft.sop)


def test_sopdraft_critique_of_the_registry_matches_the_stored_sop(exported, services):
    """`sopdraft critique FILE` on each exported file reports what the stored SOP gets.

    Findings that need the source chunks (unsupported claims) exist only for the draft id,
    so the stored side is critiqued from its SOP alone, as a file would be.
    """
    record, result = exported
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = services

    critique_cmd.register(app)
    expected = [critique_cmd.flag_json(f) for f in critique(record.draft.sop, services.catalogue)]
    for path in result.files:
        out = CliRunner().invoke(app, ["critique", str(path), "--format", "json"])
        assert json.loads(out.stdout)["flags"] == expected, path.suffix
