"""The LLM call log: append, read newest first, crash recovery, processes, the callback."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import ValidationError

from app.calllog import CallLog, CallLogHandler, CallRecord, prompt_digest, safe_error
from app.models import Redaction

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_record(purpose: str = "draft", **kw) -> CallRecord:
    fields = dict(
        time=datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc), provider="fake", model="m", purpose=purpose,
        prompt_sha256=prompt_digest("prompt"), chunk_ids=["c1"], policy="redact", duration_s=0.5, ok=True,
        redactions=[Redaction(kind="email", placeholder="[EMAIL_1]", chunk_id="c1")],
    )
    return CallRecord(**(fields | kw))


def test_records_are_read_newest_first_with_limit(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    for i in range(5):
        log.record(make_record(f"p{i}"))
    assert [r.purpose for r in log.read()] == ["p4", "p3", "p2", "p1", "p0"]
    assert [r.purpose for r in log.read(limit=2)] == ["p4", "p3"]
    assert log.read()[0] == make_record("p4")


def test_missing_log_reads_empty(tmp_path: Path) -> None:
    assert CallLog(tmp_path / "none" / "calls.jsonl").read() == []


def test_torn_last_line_is_skipped_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    log = CallLog(path)
    log.record(make_record("whole"))
    with path.open("ab") as f:  # a crash in the middle of a write
        f.write(make_record("torn").model_dump_json().encode()[:40])
    assert [r.purpose for r in log.read()] == ["whole"]
    log.record(make_record("after"))
    assert [r.purpose for r in log.read()] == ["after", "whole"]
    assert all(line for line in path.read_text().split("\n")[:-1])


def test_prompt_text_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    with pytest.raises(ValidationError):
        CallRecord(**make_record().model_dump(), prompt="the confidential prompt")
    CallLog(path).record(make_record(prompt_sha256=prompt_digest("the confidential prompt")))
    assert "confidential" not in path.read_text()


def test_two_processes_append_without_losing_or_mixing_lines(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    script = (
        "import sys; from datetime import datetime, timezone; from app.calllog import CallLog, CallRecord\n"
        "log = CallLog(sys.argv[1])\n"
        "for i in range(150):\n"
        "    log.record(CallRecord(time=datetime.now(timezone.utc), provider='fake', model='m',\n"
        "        purpose=f'{sys.argv[2]}-{i}', prompt_sha256='0'*64, chunk_ids=['x'*500], policy='allow',\n"
        "        duration_s=0.0, ok=True))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), name], cwd=REPO_ROOT) for name in ("a", "b")
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    lines = path.read_text().splitlines()
    assert len(lines) == 300 and all(json.loads(line)["chunk_ids"] == ["x" * 500] for line in lines)
    purposes = [r.purpose for r in CallLog(path).read()]
    for name in ("a", "b"):  # each writer's records stay in its own order
        mine = [p for p in purposes if p.startswith(name)]
        assert mine == [f"{name}-{i}" for i in range(149, -1, -1)]


def test_threads_share_one_log(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    log = CallLog(tmp_path / "calls.jsonl")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: log.record(make_record(f"t{i}")), range(80)))
    assert sorted(r.purpose for r in log.read()) == sorted(f"t{i}" for i in range(80))


def test_handler_records_a_chat_model_call(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    reply = AIMessage(content="ok", usage_metadata={"input_tokens": 11, "output_tokens": 3, "total_tokens": 14})
    model = GenericFakeChatModel(messages=iter([reply]))
    messages = [HumanMessage("draft the purpose")]
    redactions = [Redaction(kind="name", placeholder="[NAME_1]", chunk_id="c2")]
    config = {
        "callbacks": [CallLogHandler(log, provider="fake", model="generic")],
        "metadata": {"purpose": "draft:purpose", "chunk_ids": ["c1", "c2"], "policy": "redact",
                     "redactions": redactions},
    }
    assert model.invoke(messages, config=config).content == "ok"
    [rec] = log.read()
    assert (rec.provider, rec.model, rec.purpose, rec.policy) == ("fake", "generic", "draft:purpose", "redact")
    assert rec.chunk_ids == ["c1", "c2"] and rec.redactions == redactions
    assert (rec.input_tokens, rec.output_tokens, rec.ok) == (11, 3, True)
    assert rec.prompt_sha256 == prompt_digest(messages) and rec.duration_s >= 0


def test_handler_records_a_failed_call(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl")
    model = GenericFakeChatModel(messages=iter([]))
    with pytest.raises(StopIteration):
        model.invoke("hello", config={"callbacks": [CallLogHandler(log, provider="fake", model="m")]})
    [rec] = log.read()
    assert not rec.ok and rec.error.startswith("StopIteration") and rec.input_tokens is None


def test_safe_error_masks_data_and_is_short() -> None:
    text = safe_error(RuntimeError("bad key sk-proj-Abc123def456GHI789jkl012MNO345 for jane@example.com " + "x" * 999))
    assert "sk-proj" not in text and "jane@" not in text and "[SECRET_1]" in text
    assert text.startswith("RuntimeError: ") and len(text) <= 300
