"""The engine: each rule kind, concreteness, ordering, de-duplication, drafts and provenance."""

from __future__ import annotations

from datetime import date

import pytest

from app.critique import blockers, critique, critique_draft, load_catalogue
from app.models import (SOP, ChunkRef, Draft, Escalation, Flag, Maintenance, Metadata, Record, Role, Statement, Step,
                        Tool)

S = Statement


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(None)


def complete_sop(**changes) -> SOP:
    """A procedure with every control stated concretely."""
    sop = SOP(
        title="Summarise internal meetings with AI",
        metadata=Metadata(owner_name="Dana Reyes", owner_role="Operations Manager", review_cadence_months=6,
                          next_review_date=date(2027, 5, 27)),
        purpose=[S(text="Produce an accurate summary of each internal meeting within one business day.")],
        scope={"covered": [S(text="Internal meetings of the Operations team that are recorded in Teams.")]},
        roles=[Role(role="Meeting organiser", responsibility="Runs the procedure and sends the summary."),
               Role(role="Operations Team Lead", responsibility="Approves summaries that contain decisions.")],
        trigger=[S(text="A recorded internal meeting has ended and its transcript is available.")],
        approved_tools=[Tool(name="Microsoft Copilot (enterprise tenant)", use="Draft the summary")],
        data_rules={"prohibited": [S(text="Do not paste customer names or card numbers into Copilot.")]},
        steps=[Step(actor="Meeting organiser", action="Export the transcript from Teams."),
               Step(actor="Meeting organiser", action="Ask Copilot for a summary with action items."),
               Step(actor="Operations Team Lead", action="Review and approve the summary before it is sent.")],
        human_review=[S(text="The Operations Team Lead reviews and approves every summary before it is sent.")],
        quality_checks=[S(text="Every action item has an owner and a due date.")],
        escalation=[Escalation(trigger="The summary records a commitment to a customer",
                               route="Operations Manager", timing="within 1 business day")],
        records=[Record(what="Final summary", where="Operations SharePoint, Meetings library", retention="2 years")],
        maintenance=Maintenance(review_cadence="every 6 months"),
    )
    return SOP.model_validate({**sop.model_dump(), **changes})


def rules_of(flags: list[Flag]) -> set[str]:
    return {f.rule for f in flags}


def test_complete_sop_has_no_blocker(catalogue):
    flags = critique(complete_sop(), catalogue, today=date(2026, 11, 27))
    assert blockers(flags) == [], [f.rule for f in flags]


@pytest.mark.parametrize("field, value, rule", [
    ("approved_tools", [Tool(name="Any AI assistant you prefer")], "missing-approved-tool"),
    ("quality_checks", [S(text="Review the summary carefully.")], "missing-quality-criteria"),
    ("escalation", [Escalation(trigger="Escalate if needed", route="the relevant team")], "missing-escalation"),
    ("records", [Record(what="Summary", where="your personal notes")], "missing-record"),
    ("trigger", [], "missing-trigger"),
])
def test_vague_control_does_not_count(catalogue, field, value, rule):
    sop = complete_sop(**{field: value})
    assert rule in rules_of(critique(sop, catalogue))


def test_heading_without_concrete_content_is_missing(catalogue):
    sop = complete_sop(human_review=[S(text="Output is reviewed as appropriate.")],
                       roles=[Role(role="Meeting organiser", responsibility="Runs the procedure.")],
                       steps=[Step(actor="Meeting organiser", action="Send the summary.")])
    flags = critique(sop, catalogue)
    assert "missing-human-review" in rules_of(flags)
    flag = next(f for f in flags if f.rule == "missing-human-review")
    assert flag.severity == "blocker" and flag.section == "human_review"
    assert "reviewed as appropriate" in flag.evidence and flag.suggestion


def test_owner_from_roles_counts(catalogue):
    sop = complete_sop(metadata=Metadata(review_cadence_months=6),
                       roles=[Role(role="Procedure owner", responsibility="Dana Reyes keeps this SOP current.")])
    assert "missing-owner" not in rules_of(critique(sop, catalogue))
    assert "missing-owner" in rules_of(critique(complete_sop(metadata=Metadata(review_cadence_months=6)), catalogue))


def test_review_cadence_periodically_is_not_an_interval(catalogue):
    sop = complete_sop(metadata=Metadata(owner_name="Dana Reyes"), maintenance=Maintenance(review_cadence="periodically"))
    assert "missing-review-cadence" in rules_of(critique(sop, catalogue))


def test_vague_language_in_table_cell_and_list_item(catalogue):
    sop = complete_sop(steps=[Step(actor="Meeting organiser", action="Export the transcript.", check="fix as needed")],
                       inputs=[S(text="Slides, notes, etc.")])
    vague = [f for f in critique(sop, catalogue) if f.rule == "vague-language"]
    assert {f.section for f in vague} == {"steps", "inputs"}
    assert any('"as needed"' in f.evidence for f in vague)


def test_step_without_actor(catalogue):
    sop = complete_sop(steps=[Step(actor="", action="Export the transcript."),
                              Step(actor="Meeting organiser", action="The draft is checked."),
                              Step(actor="someone", action="Send it."),
                              Step(actor="Meeting organiser", action="Send the summary.")])
    flags = [f for f in critique(sop, catalogue) if f.rule == "step-without-actor"]
    assert [f.evidence.split(" ")[1] for f in flags] == ["1", "2", "3"]


def test_automation_bias_and_negation(catalogue):
    bad = complete_sop(human_review=[S(text="Copilot summaries are accurate, so send them without review.")])
    assert "automation-bias" in rules_of(critique(bad, catalogue))
    good = complete_sop(data_rules={"prohibited": [S(text="Never send AI output without review by the Team Lead.")]})
    assert "automation-bias" not in rules_of(critique(good, catalogue))


def test_sensitive_data_into_public_tool(catalogue):
    bad = complete_sop(steps=[Step(actor="Agent", action="Paste the customer's full name and card number into free ChatGPT.")])
    assert "sensitive-data-exposure" in rules_of(critique(bad, catalogue))
    rule = complete_sop(data_rules={"prohibited": [S(text="Never paste customer names into public AI tools.")]})
    assert "sensitive-data-exposure" not in rules_of(critique(rule, catalogue))


def test_review_overdue_uses_today(catalogue):
    sop = complete_sop(metadata=Metadata(owner_name="Dana Reyes", next_review_date=date(2026, 1, 1)))
    assert "review-overdue" in rules_of(critique(sop, catalogue, today=date(2026, 11, 27)))
    assert "review-overdue" not in rules_of(critique(sop, catalogue, today=date(2025, 12, 1)))


def test_lengths(catalogue):
    words = " ".join(["word"] * 45) + "."
    sop = complete_sop(purpose=[S(text=words)])
    assert "long-sentence" in rules_of(critique(sop, catalogue))


def test_sorted_by_severity_then_template_order(catalogue):
    flags = critique(SOP(title="x", steps=[Step(actor="", action="Do it as needed.")]), catalogue)
    order = {"blocker": 0, "warning": 1, "info": 2}
    assert [order[f.severity] for f in flags] == sorted(order[f.severity] for f in flags)
    blocker_sections = [f.section for f in flags if f.severity == "blocker"]
    assert blocker_sections.index("metadata") < blocker_sections.index("scope") < blocker_sections.index("records")
    assert len({f.flag_id for f in flags}) == len(flags)


def test_unsupported_claims_with_chunks(catalogue):
    chunks = {"c1": ChunkRef(chunk_id="c1", source="notes.md", text="Summaries are sent within one business day "
                             "by the meeting organiser using Microsoft Copilot.")}
    sop = complete_sop(purpose=[S(text="Summaries are sent within 2 business days by Contoso staff.", citations=["c1"]),
                                S(text="Use Copilot.", citations=["zz"]),
                                S(text="Summaries are sent by the meeting organiser.", citations=["c1"]),
                                S(text="Send it within 1 business day.", citations=["c1"])])
    flags = [f for f in critique(sop, catalogue, chunks=chunks) if f.rule == "unsupported-claim"]
    messages = " ".join(f.message for f in flags)
    assert "2" in messages and "Contoso" in messages and "unknown source zz" in messages
    assert len(flags) == 2
    uncited = [f for f in critique(sop, catalogue, chunks=chunks) if f.rule == "uncited-statement"]
    assert uncited and all(f.severity == "info" for f in uncited)
    assert not [f for f in critique(sop, catalogue) if f.rule in ("unsupported-claim", "uncited-statement")]


def test_critique_draft_keeps_drafting_flags_that_still_apply(catalogue):
    sop = complete_sop()
    stale = Flag(rule="unsupported-claim", severity="warning", section="purpose", message="m",
                 evidence='"A statement that was edited away."')
    live = Flag(rule="unsupported-claim", severity="warning", section="trigger", message="m",
                evidence=f'"{sop.trigger[0].text}"')
    injection = Flag(rule="prompt-injection", severity="blocker", section="steps", message="m", evidence="ignore all")
    draft = Draft(draft_id="d1", task="t", sop=sop, flags=[stale, live, injection])
    flags = critique_draft(draft, catalogue, today=date(2026, 11, 27))
    kept = {f.flag_id for f in flags}
    assert live.flag_id in kept and injection.flag_id in kept and stale.flag_id not in kept
    assert blockers(flags) == [injection]


def test_drafting_flags_on_steps_and_empty_sections(catalogue):
    sop = complete_sop(escalation=[])
    step = sop.steps[1]
    chunks = {"c1": ChunkRef(chunk_id="c1", source="notes.md", text="Ask Copilot for a summary.")}
    sop.steps[1] = step.model_copy(update={"citations": ["c9"]})
    unsupported = Flag(rule="unsupported-claim", severity="blocker", section="steps",
                       message="Procedure: cites sources that were never shown (c9).", evidence=sop.steps[1].as_text())
    empty = Flag(rule="no-evidence", severity="warning", section="escalation", message="m", evidence="searched for: x")
    draft = Draft(draft_id="d2", task="t", sop=sop, chunks=chunks, flags=[unsupported, empty])
    flags = critique_draft(draft, catalogue)
    citation_flags = [f for f in flags if f.rule == "unsupported-claim"]
    assert citation_flags == [unsupported]  # the engine's own finding on that step is not repeated
    assert empty in flags
    filled = draft.model_copy(update={"sop": complete_sop()})
    assert empty not in critique_draft(filled, catalogue)


def test_a_step_names_its_actor_after_a_lead_clause_as_an_acronym_or_a_passive_agent():
    from app.critique.items import sentence_names_actor
    from app.critique.layout import load_layout

    layout = load_layout()
    named = [
        "Within 2 working days, the HR Onboarding Coordinator confirms in the ticket that checks are complete.",
        "Before the ticket is closed, a second IT Service Desk Analyst (not the one who created the accounts) compares the groups.",
        "Each week the AP Senior takes a sample of 25 released invoices.",
        "Every document goes to the review station. The AP Clerk opens each document.",
        "The MLA signs the courier manifest and writes the arrival time on it.",
        "The nurse in charge should check the fridge.",
        "The Goods-In Inspector re-inspects every FAIL under the lamp.",
        "The claim summary is checked by the Claims Team Leader.",
    ]
    unnamed = [
        "The till is logged off and the X-reading is printed.",
        "Receipts are photographed in the app.",
        "The report is submitted for approval.",
        "It is checked before it goes out.",
    ]
    assert [t for t in named if not sentence_names_actor(t, layout)] == []
    assert [t for t in unnamed if sentence_names_actor(t, layout)] == []
