"""The optional LLM pass: parsed into advisory flags, cached by content hash, never blocking."""

from __future__ import annotations

import json

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from app.critique import blockers
from app.critique.advisory import advisory_findings
from app.models import SOP, Statement

REPLY = json.dumps([
    {"section": "steps", "message": "The summary is sent before it is approved.", "evidence": "Step 3",
     "suggestion": "Swap steps 3 and 4.", "severity": "blocker"},
    {"section": "nowhere", "message": "Title is long.", "severity": "info"},
])


def fake(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter(AIMessage(content=r) for r in replies))


def sop(text: str = "Summarise meetings.") -> SOP:
    return SOP(title="Meeting summaries", purpose=[Statement(text=text)])


def test_findings_are_advisory_and_cached(tmp_path):
    flags = advisory_findings(sop(), fake(f"```json\n{REPLY}\n```"), tmp_path)
    assert [f.section for f in flags] == ["steps", "title"]
    assert all(f.advisory and f.rule == "llm-advisory" for f in flags)
    assert flags[0].severity == "warning" and blockers(flags) == []
    # Same content: served from the cache; the model has no replies left.
    assert advisory_findings(sop(), fake(), tmp_path) == flags
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_changed_content_is_asked_again(tmp_path):
    advisory_findings(sop(), fake("[]"), tmp_path)
    flags = advisory_findings(sop("Summarise board meetings."), fake(REPLY), tmp_path)
    assert len(flags) == 2 and len(list(tmp_path.glob("*.json"))) == 2


def test_unparseable_reply_gives_nothing_and_is_not_cached(tmp_path):
    assert advisory_findings(sop(), fake("I think it is fine."), tmp_path) == []
    assert list(tmp_path.glob("*.json")) == []
