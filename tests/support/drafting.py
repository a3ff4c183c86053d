"""Canned model replies for drafting with the fake provider (tests, browser test, demos).

One reply holds every section; each drafting call picks only the sections it asked for,
so the same reply serves every call. Citations list several short ids: drafting keeps only
the ids shown for that section, exactly as it would for a real model.
"""

from __future__ import annotations

import json

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
