"""Parsers: the canonical export round-trips; hand-written Markdown, DOCX and JSON variants map onto the template."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.critique import critique, load_catalogue
from app.critique.evaluate import build_docx
from app.critique.parse import SOPParseError, load_sop, parse_markdown
from app.models import (SOP, Draft, Escalation, HistoryEntry, Maintenance, Metadata, Record, Role, Statement, Step,
                        Tool)

LABELLED = Path(__file__).parent / "labelled"
S = Statement


def rich_sop() -> SOP:
    return SOP(
        title="Summarise internal meetings with AI",
        metadata=Metadata(sop_id="SOP-0001", version="1.0", status="approved", owner_name="Dana Reyes",
                          owner_role="Operations Manager", approver="Dana Reyes", effective_date=date(2026, 11, 27),
                          review_cadence_months=6, next_review_date=date(2027, 5, 27)),
        purpose=[S(text="Produce a summary | of each meeting within 1 business day.", citations=["3fa9c1d2e4b5"])],
        scope={"covered": [S(text="Internal meetings.", citations=["a1"])],
               "out_of_scope": [S(text="Board meetings (see SOP-0002).")]},
        roles=[Role(role="Meeting organiser", responsibility="Runs the procedure", citations=["a1", "b2"])],
        trigger=[S(text="A recording is available.")],
        inputs=[S(text="Transcript: the Teams export.", citations=["a1"])],
        approved_tools=[Tool(name="Microsoft Copilot (enterprise tenant)", use="Draft the summary", citations=["a1"])],
        data_rules={"permitted": [S(text="Internal transcripts.")],
                    "prohibited": [S(text="Never paste card numbers.", citations=["c3"])]},
        steps=[Step(actor="Meeting organiser", action="Export the transcript", output="Transcript file",
                    citations=["a1"]),
               Step(actor="Team Lead", action="Check *every* action | item", check="Owner and due date")],
        human_review=[S(text="The Team Lead approves every summary before it is sent.")],
        quality_checks=[S(text="Every action item has an owner and a due date.")],
        escalation=[Escalation(trigger="A legal commitment", route="Legal Counsel", timing="within 1 day")],
        records=[Record(what="Final summary", where="SharePoint Meetings library", retention="2 years",
                        citations=["d4"])],
        maintenance=Maintenance(review_cadence="every 6 months", feedback_route="#ops channel",
                                off_cycle_triggers=[S(text="Tool changes.", citations=["x9"])]),
        references=[S(text="AI policy 4.2")],
        history=[HistoryEntry(version="1.0", date="2026-11-27", author="Dana Reyes", change="First issue")],
    )


def canonical(sop: SOP) -> str:
    from app.registry.render import front_matter, render_markdown

    return render_markdown(sop, front_matter(Draft(draft_id="d1", task="t", sop=sop)))


def test_canonical_export_round_trips():
    sop = rich_sop()
    back = parse_markdown(canonical(sop))
    expected = sop.model_dump(mode="json")
    got = back.model_dump(mode="json")
    # The canonical Markdown does not carry the maintenance citations.
    expected["maintenance"].pop("citations"), got["maintenance"].pop("citations")
    assert got == expected
    assert back.content_hash() == sop.content_hash()


def test_canonical_round_trip_gives_the_same_findings():
    catalogue = load_catalogue(None)
    for sop in (rich_sop(), SOP(title="Empty"), load_sop(LABELLED / "05-customer-replies-autosend.md")):
        direct = critique(sop, catalogue, today=date(2026, 11, 27))
        again = critique(parse_markdown(canonical(sop)), catalogue, today=date(2026, 11, 27))
        assert [f.flag_id for f in again] == [f.flag_id for f in direct]


def test_spec_example_front_matter_and_empty_sections():
    sop = load_sop(LABELLED / "21-invoice-canonical-cited.md")
    assert sop.metadata.owner_name == "Marco Bianchi" and sop.metadata.review_cadence_months == 12
    assert sop.metadata.next_review_date == date(2027, 10, 2) and sop.metadata.status == "approved"
    assert sop.scope.applies_when == [] and sop.scope.excluded_from_ai == [] and sop.references == []
    assert sop.steps[1].check == "Net plus VAT equals the total" and sop.steps[1].citations == ["5e2d1a0b3c4f"]
    assert [h.version for h in sop.history] == ["1.0", "1.1"]


def test_hand_written_variant_headings_and_labels():
    sop = load_sop(LABELLED / "16-password-reset-chatbot.md")
    assert sop.metadata.owner_name == "Ola Nordmann" and sop.metadata.owner_role == "IT Service Desk Manager"
    assert sop.maintenance.review_cadence.startswith("Reviewed every 12 months")
    assert len(sop.escalation) == 2 and sop.records and sop.human_review
    assert [s.actor for s in sop.steps] == ["Employee", "HelpBot", "HelpBot", "HelpBot"]
    assert sop.scope.covered and sop.trigger and sop.approved_tools[0].name.startswith("ServiceNow")


def test_metadata_table_and_numbered_tables():
    sop = load_sop(LABELLED / "03-invoice-extraction-table-meta.md")
    assert sop.metadata.sop_id == "FIN-SOP-014" and sop.metadata.owner_name == "Marco Bianchi"
    assert sop.metadata.owner_role == "Accounts Payable Manager" and sop.metadata.effective_date == date(2026, 6, 1)
    assert sop.maintenance.review_cadence == "Every 12 months"
    assert [s.actor for s in sop.steps] == ["AP Clerk", "AP Clerk", "AP Clerk", "AP Manager", "AP Clerk"]
    assert sop.steps[0].output == "PDF in intake"
    assert "→" not in sop.escalation[0].trigger and sop.escalation[0].route.startswith("AP Manager")


def test_scope_and_data_rules_without_subheadings():
    text = """# T

## Scope
- Support tickets in Zendesk.
- Out of scope: refunds.
- Applies when: a ticket is escalated.

## Data rules
- Ticket text may be used in TriageBot.
- Never paste card numbers.
"""
    sop = parse_markdown(text)
    assert [s.text for s in sop.scope.covered] == ["Support tickets in Zendesk."]
    assert [s.text for s in sop.scope.out_of_scope] == ["refunds."]
    assert [s.text for s in sop.scope.applies_when] == ["a ticket is escalated."]
    assert [s.text for s in sop.data_rules.prohibited] == ["Never paste card numbers."]


def test_docx(tmp_path):
    path = build_docx(LABELLED / "31-docx-it-access-requests.docx.yaml", tmp_path)
    sop = load_sop(path)
    assert sop.title == "Granting SaaS access with the AccessBot assistant"
    assert sop.metadata.owner_name == "Ola Nordmann" and sop.maintenance.review_cadence == "Every 6 months"
    assert [s.actor for s in sop.steps] == ["AccessBot", "IT Service Desk Analyst", "IT Service Desk Analyst"]
    assert sop.escalation[0].route == "IT Security Officer" and len(sop.data_rules.prohibited) == 1


def test_json_sop_and_draft(tmp_path):
    sop = rich_sop()
    plain = tmp_path / "sop.json"
    plain.write_text(sop.model_dump_json(), encoding="utf-8")
    wrapped = tmp_path / "draft.json"
    wrapped.write_text(Draft(draft_id="d", task="t", sop=sop).model_dump_json(), encoding="utf-8")
    assert load_sop(plain) == sop and load_sop(wrapped) == sop


@pytest.mark.parametrize("name, content, reason", [
    ("a.txt", "x", "unsupported file type"),
    ("b.json", "{nope", "not valid JSON"),
    ("c.json", '{"title": "x", "steps": "many"}', "not a valid SOP at 'steps'"),
    ("d.json", "[1, 2]", "neither an SOP"),
    ("e.md", "---\nowner: [unclosed\n---\n# T\n", "front matter is not valid YAML"),
    ("f.docx", "not a zip", "not a readable .docx"),
])
def test_bad_input_names_file_and_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SOPParseError) as err:
        load_sop(path)
    assert str(path) in str(err.value) and reason in str(err.value)


def test_over_long_hand_written_sop_still_parses():
    steps = "\n".join(f"{i}. Team Lead: do thing {i}." for i in range(1, 31))
    sop = parse_markdown(f"# Long\n\n## Procedure\n{steps}\n")
    assert len(sop.steps) == 30
    assert "too-many-steps" in {f.rule for f in critique(sop, load_catalogue(None))}


def test_registry_docx_export_gives_the_same_findings(tmp_path):
    from datetime import datetime

    from app.registry.docx_export import docx_bytes
    from app.registry.records import Approval

    sop = rich_sop()
    approval = Approval(draft_id="d1", version=1, sop_id="SOP-0001", doc_version="1.0", owner_name="Dana Reyes",
                        owner_role="Operations Manager", approver="Dana Reyes", approved_at=datetime(2026, 11, 27, 10),
                        content_hash=sop.content_hash(), effective_date=date(2026, 11, 27), review_cadence_months=6,
                        next_review_date=date(2027, 5, 27))
    path = tmp_path / "sop.docx"
    path.write_bytes(docx_bytes(sop, approval))
    back = load_sop(path)
    assert back.human_review == sop.human_review and back.steps == sop.steps and back.records == sop.records
    assert back.metadata.owner_name == "Dana Reyes" and back.metadata.next_review_date == date(2027, 5, 27)
    catalogue = load_catalogue(None)
    direct = critique(sop, catalogue, today=date(2026, 11, 27))
    assert [f.flag_id for f in critique(back, catalogue, today=date(2026, 11, 27))] == [f.flag_id for f in direct]


@pytest.mark.parametrize("text", [
    "",
    "---\ntitle: Only front matter\n---\n",
    "no headings at all, just a line",
    "# T\n\n## Procedure\n\n| a |\n|---|\n| |\n",
    "# T\n\n## Steps\n1. Team Lead: do\n   - sub item\n     - deeper\n2.\n",
    "# T\n\n<div>html <b>block</b></div>\n\n## Roles\n- : nothing\n- Role —\n",
    "# T\n## Escalation\n| Trigger | Route |\n|---|---|\n| only trigger |\n",
    "# T\n## Maintenance\n- Review cadence:\n### Off-cycle review triggers\n_Not stated in the sources._\n",
])
def test_odd_markdown_never_crashes(text):
    sop = parse_markdown(text)
    critique(sop, load_catalogue(None))
    assert isinstance(sop, SOP)
