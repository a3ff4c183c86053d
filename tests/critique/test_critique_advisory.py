"""The optional LLM pass: through LLMClient (policy + call log), advisory flags, cached, never blocking."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from app.calllog import CallLog
from app.critique import blockers
from app.critique.advisory import advisory_findings
from app.llm import LLMClient
from app.models import SOP, Statement
from app.privacy import DataBlockedError

REPLY = json.dumps({"findings": [
    {"section": "steps", "message": "The summary is sent before it is approved.", "evidence": "Step 3",
     "suggestion": "Swap steps 3 and 4.", "severity": "blocker"},
    {"section": "nowhere", "message": "Title is long.", "severity": "info"},
]})


@pytest.fixture
def log_path(tmp_path):
    return tmp_path / "calls.jsonl"


def fake(*replies: str, policy: str = "allow", log=None) -> LLMClient:
    import tempfile
    from pathlib import Path

    model = GenericFakeChatModel(messages=iter(AIMessage(content=r) for r in replies))
    path = log or Path(tempfile.mkdtemp()) / "calls.jsonl"
    return LLMClient(model=model, provider="fake", model_name="fake", policy=policy, call_log=CallLog(path))


def sop(text: str = "Summarise meetings.") -> SOP:
    return SOP(title="Meeting summaries", purpose=[Statement(text=text)])


def test_findings_are_advisory_and_cached(tmp_path):
    flags = advisory_findings(sop(), fake(f"```json\n{REPLY}\n```"), tmp_path / "cache")
    tmp_path = tmp_path / "cache"
    assert [f.section for f in flags] == ["steps", "title"]
    assert all(f.advisory and f.rule == "llm-advisory" for f in flags)
    assert flags[0].severity == "warning" and blockers(flags) == []
    # Same content: served from the cache; the model has no replies left.
    assert advisory_findings(sop(), fake(), tmp_path) == flags
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_changed_content_is_asked_again(tmp_path):
    advisory_findings(sop(), fake('{"findings": []}'), tmp_path)
    flags = advisory_findings(sop("Summarise board meetings."), fake(REPLY), tmp_path)
    assert len(flags) == 2 and len(list(tmp_path.glob("*.json"))) == 2


def test_unparseable_reply_gives_nothing_and_is_not_cached(tmp_path):
    assert advisory_findings(sop(), fake("I think it is fine."), tmp_path) == []
    assert list(tmp_path.glob("*.json")) == []


def test_the_call_goes_through_the_client_masked_and_logged(tmp_path, log_path):
    text = "Send the summary to dana.reyes@northwind.example after review."
    reply = json.dumps({"findings": [{"section": "purpose", "message": "Mail [EMAIL_1] only after review.",
                                      "evidence": "[EMAIL_1]", "suggestion": "ok", "severity": "info"}]})
    flags = advisory_findings(sop(text), fake(reply, policy="redact", log=log_path), tmp_path / "cache")
    records = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    assert [r["purpose"] for r in records] == ["critique:advisory"]
    assert [r["kind"] for r in records[0]["redactions"]] == ["email"]
    assert "dana.reyes" not in log_path.read_text(encoding="utf-8")
    assert flags[0].evidence == "dana.reyes@northwind.example"  # what the model quoted back is unmasked


def test_block_policy_refuses_personal_data(tmp_path):
    with pytest.raises(DataBlockedError):
        advisory_findings(sop("Call Dana on dana.reyes@northwind.example."), fake(REPLY, policy="block"), tmp_path)
