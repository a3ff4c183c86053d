"""Drafting by questions, piece by piece: the plan, replies into items, citations by matching, fields that exclude each other."""

from __future__ import annotations

import pytest

from app.drafting.align import SentenceMatcher
from app.drafting.asking import step_actor
from app.drafting.questions import exclusive_groups, load_questions, parse_items, prefix_messages, question_messages, \
    reply_lines, scalar_value
from app.drafting.route import Claim, contested
from app.models import LIST_SECTIONS, SECTION_PARTS, Escalation, Record, Role, Step, Tool, item_fields


def _question(field: str):
    return next(q for q in load_questions() if q.field == field)


def test_every_question_names_a_template_field_once_and_covers_every_drafted_field() -> None:
    fields = [q.field for q in load_questions()]
    assert len(fields) == len(set(fields))
    drafted = {s for s in LIST_SECTIONS if s != "references"}
    drafted |= {f"{s}.{p}" for s, parts in SECTION_PARTS.items() for p in parts if p != "applies_when"}
    assert drafted == set(fields)
    for q in load_questions():
        if q.format:
            assert len(q.format.split("|")) <= len(item_fields(q.item_type))
    assert all(set(g) <= set(fields) for g in exclusive_groups())


def test_each_question_shares_the_prompt_prefix_so_the_server_evaluates_the_sources_once() -> None:
    prefix = prefix_messages("Summarise meetings", {"notes.md": "The organiser posts the summary."})
    first = question_messages(prefix, _question("trigger"))
    second = question_messages(prefix, _question("records"))
    assert first[0].content == second[0].content
    a, b = str(first[-1].content), str(second[-1].content)
    shared = len(a) - len(a.split("QUESTION:")[1])
    assert a[:shared] == b[:shared] and "The organiser posts the summary." in a[:shared]
    assert "Which records are kept" in b and "record | where it is kept | how long" in b


def test_replies_become_items_in_the_template_line_format() -> None:
    roles = parse_items(_question("roles"), "Roles:\n- **Operations Manager** | owns this process\n"
                                            "- Note-taker: reviews the summary\n- Dana Reyes")
    assert roles == [Role(role="Operations Manager", responsibility="owns this process"),
                     Role(role="Note-taker", responsibility="reviews the summary")]
    assert parse_items(_question("escalation"), "1. data leak | #security-desk | within 1 hour") == [
        Escalation(trigger="data leak", route="#security-desk", timing="within 1 hour")]
    assert parse_items(_question("records"), "- Summaries | SharePoint | 2 years | then deleted") == [
        Record(what="Summaries", where="SharePoint", retention="2 years | then deleted")]
    assert parse_items(_question("approved_tools"), "- Copilot") == [Tool(name="Copilot")]
    steps = parse_items(_question("steps"), "1. Open the ticket.\n2) The agent checks it.")
    assert steps == [Step(actor="", action="Open the ticket."), Step(actor="", action="The agent checks it.")]
    assert parse_items(_question("trigger"), "- none") == []
    assert parse_items(_question("trigger"), "There is no trigger stated.") == []
    assert len(parse_items(_question("purpose"), "- one\n- two\n- three")) == 1  # max_items
    assert scalar_value("- Every 6 months, and sooner if needed.") == "Every 6 months, and sooner if needed"
    assert reply_lines("- None\n\n- `a` thing\n") == ["a thing"]


def test_an_item_cites_the_sentences_that_hold_its_words() -> None:
    sentences = [("c1", "The organiser posts the summary in Teams."),
                 ("c2", "Summaries are kept in SharePoint for 2 years."),
                 ("c3", "Customer calls are out of scope.")]
    matcher = SentenceMatcher(sentences)
    match = matcher.match("Summaries are kept in SharePoint for 2 years")
    assert match.citations == ["c2"] and match.lexical == 1.0 and match.primary == 1
    both = matcher.match("The organiser posts the summary; it is kept in SharePoint for 2 years")
    assert both.citations == ["c1", "c2"]
    assert matcher.match("Quarterly audits by an external firm").lexical == 0.0


def test_an_item_of_a_list_stands_under_the_line_that_opens_the_list_and_its_heading() -> None:
    sentences = [("c1", "EchoNote must never be used for:"), ("c1", "- Recording euthanasia consultations."),
                 ("c1", "- Recording anywhere other than a consulting room."), ("c2", "- Ask the owner first.")]
    matcher = SentenceMatcher(sentences, headings={"c2": "Rules of use > Consent"})
    lead = matcher.match("Recording anywhere other than a consulting room").lead
    assert "must never be used for" in lead
    assert _question("data_rules.prohibited").has_evidence([lead])
    assert matcher.match("Ask the owner first").lead == "Rules of use > Consent"
    assert matcher.match("Recording euthanasia consultations").lead == "EchoNote must never be used for:"


def test_a_sentence_given_for_two_exclusive_fields_stays_where_its_wording_puts_it() -> None:
    questions = list(load_questions())
    sentences = ["Not allowed in a prompt: customer names or card numbers.",
                 "Dana reviews these notes every 6 months.",
                 "A second person reviews the draft before posting."]
    claims = [Claim("data_rules.permitted", 0), Claim("data_rules.prohibited", 0),
              Claim("human_review", 1), Claim("maintenance.review_cadence", 1),
              Claim("human_review", 2), Claim("steps", 2)]
    losers = contested(claims, exclusive_groups(), sentences, questions)
    assert losers == {Claim("data_rules.permitted", 0): "data_rules.prohibited",
                      Claim("human_review", 1): "maintenance.review_cadence"}


@pytest.mark.parametrize(("given", "sentence", "previous", "actor"), [
    ("Dana Reyes", "Before the meeting, the organiser turns on recording in Teams.", "", "Organiser"),
    ("Dana Reyes", "Fix anything wrong and remove side chatter.", "Organiser", "Organiser"),
    ("Triage agent", "The triage agent opens the ticket.", "", "Triage agent"),
    ("", "Submit a leave request through HR Links.", "", ""),
])
def test_a_step_is_done_by_the_role_its_source_sentence_names(given, sentence, previous, actor) -> None:
    assert step_actor(given, [sentence], previous) == actor
