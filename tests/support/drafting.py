"""Canned model replies for drafting with the fake provider (tests, browser test, demos).

The groups design: one JSON reply holds every section; each drafting call picks only the
sections it asked for, so the same reply serves every call. Citations list several short ids:
drafting keeps only the ids shown for that section, exactly as it would for a real model.

The questions design: :class:`QuestionFakeModel` answers each question by its field, and
:data:`CANNED_ANSWER` is one line the fake provider can give every question.
"""

from __future__ import annotations

import json

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

ALL_IDS = ["S1", "S2", "S3", "S4", "S5", "S6"]


def _s(text: str) -> dict:
    return {"text": text, "citations": ALL_IDS}


CANNED_SOP: dict = {
    "purpose": [_s("Post an accurate summary of each recorded internal meeting within one business day.")],
    "scope": {
        "covered": [_s("Internal meetings: team stand-ups, weekly ops reviews, project check-ins and the all-hands Q&A.")],
        "applies_when": [_s("A recorded internal meeting has ended and the organiser wants a summary posted.")],
        "out_of_scope": [_s("Meetings with a customer, a supplier or a candidate in the room.")],
        "excluded_from_ai": [_s("HR matters, health information and legal-privileged discussions with Counsel.")],
    },
    "trigger": [_s("A recorded internal meeting has ended and the organiser wants a summary posted.")],
    "inputs": [_s("The Teams recording and transcript of the meeting.")],
    "roles": [{"role": "Meeting organiser", "responsibility": "Produces, checks and posts the summary.", "citations": ALL_IDS}],
    "approved_tools": [{"name": "Microsoft Copilot in our enterprise tenant", "use": "Draft the meeting summary.", "citations": ALL_IDS}],
    "data_rules": {
        "permitted": [_s("Transcripts of internal meetings inside the Microsoft 365 tenant.")],
        "prohibited": [_s("Do not use free public ChatGPT accounts or personal browser extensions.")],
    },
    "steps": [
        {"actor": "Meeting organiser", "action": "Turn on recording and transcription in Teams before the meeting.",
         "output": "Transcript", "check": "", "citations": ALL_IDS},
        {"actor": "Meeting organiser", "action": "Ask Copilot for a summary using the team prompt.",
         "output": "Draft summary", "check": "", "citations": ALL_IDS},
        {"actor": "Meeting organiser", "action": "Read the draft summary against the transcript and fix every wrong line.",
         "output": "Checked summary", "check": "Every action item has an owner and a due date.", "citations": ALL_IDS},
    ],
    "human_review": [_s("The organiser reads the draft summary against the transcript before posting it.")],
    "quality_checks": [_s("Every action item has an owner and a due date.")],
    "escalation": [{"trigger": "A summary exposed health or HR information", "route": "InfoSec",
                    "timing": "the same day", "citations": ALL_IDS}],
    "records": [{"what": "Final summary", "where": "the meeting channel in Teams", "retention": "", "citations": ALL_IDS}],
    "maintenance": {"review_cadence": "every 6 months", "feedback_route": "", "citations": ALL_IDS,
                    "off_cycle_triggers": []},
}


def canned_sop_reply() -> str:
    """The JSON reply the fake model gives to every drafting call."""
    return json.dumps(CANNED_SOP)


def canned_section_responses() -> list[str]:
    """Replies for ``llm.fake_responses`` (one reply, reused for every call)."""
    return [canned_sop_reply()]


# Answers for the questions design (drafting.design = questions), by template field, as the
# embedded model gives them for the example meeting notes (examples/meeting-summaries.md).
MEETING_ANSWERS: dict[str, str] = {
    "purpose": "- How we summarise internal meetings with Copilot",
    "scope.covered": "- Internal meetings only: team stand-ups, weekly ops reviews, project check-ins, the monthly "
                     "all-hands Q&A.",
    "scope.out_of_scope": "- Anything with a customer, a supplier or a candidate in the room is NOT covered.",
    "scope.excluded_from_ai": "- HR matters (performance conversations, grievances, disciplinary meetings)",
    "roles": "- Operations Manager | owns this process",
    "trigger": "- A recorded internal meeting has ended and the organiser wants a summary posted.",
    "inputs": "- The recording and transcription in Teams",
    "approved_tools": "- Microsoft Copilot in our enterprise tenant | the Copilot button in Teams",
    "data_rules.permitted": "- names of Northwind staff, project names, internal figures",
    "data_rules.prohibited": "- payment card numbers\n- health data about anyone",
    "steps": "- Before the meeting, the organiser turns on recording and transcription in Teams and says so at the "
             "start.\n- After the meeting, the organiser opens the recap in Teams and asks Copilot for a summary "
             "using the team prompt.\n- Post the final summary in the meeting's Teams channel.",
    "human_review": "- The note-taker named in the agenda reviews it before posting.",
    "quality_checks": "- every action item has an owner and a due date\n- the summary links to the recording",
    "escalation": "- a summary contains customer data or HR information | the Information Security Officer via the "
                  "#security-desk channel | within 1 hour",
    "records": "- Final summaries | SharePoint \"Meeting Records\" library | 2 years",
    "maintenance.review_cadence": "- every 6 months",
    "maintenance.off_cycle_triggers": "- sooner if Microsoft changes how Copilot handles transcripts",
    "maintenance.feedback_route": "- the #ops-process channel",
}

# One reply the fake provider can give every question of the questions design (it answers
# canned replies in order, whatever was asked): a line of three fields that fits every item
# type and that the example meeting notes support.
CANNED_ANSWER = ("- Meeting organiser | posts the final summary in the meeting's Teams channel | "
                 "within one business day")


def canned_answer_responses() -> list[str]:
    """Replies for ``llm.fake_responses`` with the questions design (one reply, reused for every call)."""
    return [CANNED_ANSWER]


class QuestionFakeModel(GenericFakeChatModel):
    """langchain_core's fake chat model, answering each drafting question by its field.

    ``answers`` maps a field (``steps``, ``data_rules.prohibited``) to the reply; a field
    missing from it is answered ``- none``. Every prompt is kept in ``seen``.
    """

    answers: dict[str, str] = {}
    seen: list[list[BaseMessage]] = []
    asked: list[str] = []

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001, ANN003
        from app.drafting.questions import load_questions

        self.seen.append(list(messages))
        prompt = str(messages[-1].content)
        field = next(q.field for q in load_questions() if f"QUESTION: {q.ask}\n" in prompt)
        self.asked.append(field)
        reply = self.answers.get(field, "- none")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=reply))])


def question_model(answers: dict[str, str] | None = None) -> QuestionFakeModel:
    """A :class:`QuestionFakeModel` answering ``answers`` (default: the meeting notes' answers)."""
    return QuestionFakeModel(messages=iter(()), answers=dict(MEETING_ANSWERS if answers is None else answers),
                             seen=[], asked=[])
