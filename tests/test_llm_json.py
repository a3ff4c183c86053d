"""Structured replies streamed from a llama.cpp server: runaways are cut off, the complete part kept."""

import json
import re

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from app.calllog import CallLog
from app.llm import WHITESPACE_RUN_MAX, LLMClient, salvage_json, stream_json

SCHEMA = {"type": "object"}
GOOD = {"purpose": [{"text": "Summarise meetings.", "citations": ["S1"]}], "scope": {"covered": []}}


class CountingModel(GenericFakeChatModel):
    """A fake that counts how many chunks the caller actually pulled from the stream."""

    pulled: int = 0

    def _stream(self, *args, **kwargs):
        for chunk in super()._stream(*args, **kwargs):
            self.pulled += 1
            yield chunk


def _model(reply: str) -> CountingModel:
    return CountingModel(messages=iter([AIMessage(content=reply)]))


def test_a_complete_streamed_reply_is_parsed_whole() -> None:
    reply = stream_json(_model(json.dumps(GOOD, indent=2)), [HumanMessage("x")], SCHEMA)
    assert reply.data == GOOD and reply.stopped == ""


def test_a_whitespace_runaway_is_cut_off_early_and_the_complete_items_kept() -> None:
    head = '{"purpose": [{"text": "Summarise meetings.", "citations": ["S1"]}, {"text": "Post it'
    runaway = head + '", "citations": ["S1"]}], "scope": {"covered": [' + " " * 5000
    model = _model(runaway)
    reply = stream_json(model, [HumanMessage("x")], SCHEMA)
    assert reply.stopped == "whitespace"
    assert model.pulled < 200, "the stream is closed soon after the run passes the limit, not read to its end"
    assert reply.data["purpose"][1]["text"] == "Post it" and "scope" not in reply.data, "scope had nothing complete"
    assert reply.raw.usage_metadata["output_tokens"] > 0, "a stream closed early still logs what it generated"


def test_indentation_is_not_mistaken_for_a_runaway() -> None:
    nested = {"a": {"b": {"c": {"d": [{"e": "x" * 10}] * 3}}}}
    reply = stream_json(_model(json.dumps(nested, indent=WHITESPACE_RUN_MAX // 6)), [HumanMessage("x")], SCHEMA)
    assert reply.stopped == "" and reply.data == nested


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": [{"x": "ab", "citations": ["S1"]}, {"x": "de", "citations": ["S', {"a": [{"x": "ab", "citations": ["S1"]}]}),
        ('```json\n{"a": [   \n   ', {"a": []}),
        ("no json at all", {}),
    ],
)
def test_salvage_keeps_only_what_was_closed(text: str, expected: dict) -> None:
    assert salvage_json(text) == expected


def test_a_cut_off_reply_is_logged_with_why_and_plain_structured_calls_refuse_it(tmp_path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    client = LLMClient(model=_model('{"a": [' + "\n" * 500), provider="local", model_name="m", policy="allow",
                       call_log=log, stream_json=True)
    with pytest.raises(ValueError, match="cut off"):
        client.structured([HumanMessage("x")], SCHEMA, name="n", purpose="p", chunk_ids=[], redactions=[])
    [call] = log.read()
    assert call.ok and call.stopped == "whitespace"


def _client(tmp_path, model) -> LLMClient:
    return LLMClient(model=model, provider="fake", model_name="fake", policy="allow",
                     call_log=CallLog(tmp_path / "calls.jsonl"))


def test_a_text_reply_stops_after_its_lines_and_logs_what_it_generated(tmp_path) -> None:
    model = _model("- one\n- two\n- three\n- four\n- five\n" + "- more\n" * 200)
    client = _client(tmp_path, model)
    assert client.text([HumanMessage("x")], purpose="draft:steps", chunk_ids=["c1"], max_lines=3) == "- one\n- two\n- three"
    assert model.pulled < 20, "the stream is closed once the lines are in"
    [call] = client.call_log.read()
    assert call.ok and call.chunk_ids == ["c1"] and call.input_tokens is None and call.output_tokens > 0


@pytest.mark.parametrize("reply", [
    "- one\n- " + "- " * 300,                                          # a few characters over and over
    "- one\n- two\n" * 40,                                              # a cycle of lines
    "- one\n- " + "a very long line that copies on and on " * 40,       # no longer one item
])
def test_a_degenerate_reply_ends_and_its_bad_line_is_dropped(tmp_path, reply) -> None:
    model = _model(reply)
    text = _client(tmp_path, model).text([HumanMessage("x")], purpose="p", max_lines=10)
    assert text.splitlines()[0] == "- one" and len(text) < 200
    chunks = len(re.split(r"(\s)", reply))  # the fake streams every word and every space as a chunk
    assert model.pulled < chunks / 2, "the stream is closed early, not read to its end"


def test_a_draft_on_a_busy_machine_gets_fewer_generating_threads(monkeypatch) -> None:
    from app import localmodel

    monkeypatch.setattr(localmodel.os, "cpu_count", lambda: 2)
    assert localmodel.threads_for(0.1, 0, 1) == 2
    assert localmodel.threads_for(None, 0, 1) == 2, "unknown load: as on a quiet machine"
    assert localmodel.threads_for(1.0, 0, 1) == 1
    assert localmodel.threads_for(1.0, 0, 0) == 1, "half the cores by default"
    assert localmodel.threads_for(1.5, 1, 4) == 1, "never more than on a quiet machine"
    load = localmodel.busy_cores(0.05)
    assert load is None or 0.0 <= load <= 2.0
