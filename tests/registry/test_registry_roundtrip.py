"""Exported canonical Markdown parses back to the same SOP and the same critique findings."""

from __future__ import annotations

from registry_helpers import approve_latest, make_draft, make_sop

from app.critique import critique, load_catalogue
from app.critique.parse import parse_markdown
from app.models import SOP, DataRules, HistoryEntry, Maintenance, Scope, Statement
from app.registry.export import export


def _full_sop() -> SOP:
    cite = ["3fa9c1d2e4b5"]
    sop = make_sop()
    sop.scope = Scope(covered=[Statement(text="Internal meetings of the operations team.", citations=cite)],
                      out_of_scope=[Statement(text="Board meetings.")])
    sop.inputs = [Statement(text="The meeting transcript.", citations=cite)]
    sop.data_rules = DataRules(prohibited=[Statement(text="Client personal data must not be pasted.", citations=cite)])
    sop.human_review = [Statement(text="The organiser checks the summary before sending it.", citations=cite)]
    sop.quality_checks = [Statement(text="Every action item has an owner and a due date.")]
    sop.maintenance = Maintenance(review_cadence="every 6 months", feedback_route="Ops channel",
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


def test_exported_markdown_round_trips_to_the_same_sop_and_findings(store, tmp_path):
    store.create_draft(make_draft(sop=_full_sop()), author="Ana Lopez")
    record = approve_latest(store)
    result = export(store, "d-0001", tmp_path / "reg", formats=("md",), git_commit=False)
    parsed = parse_markdown(result.files[0].read_text(encoding="utf-8"))
    assert _normalised(parsed) == _normalised(record.draft.sop)
    catalogue = load_catalogue(None)
    assert critique(parsed, catalogue) == critique(record.draft.sop, catalogue)
