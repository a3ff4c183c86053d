"""``sopdraft log``: the call log as a table and as JSON."""

from __future__ import annotations

import json
from datetime import datetime, timezone


from app.calllog import CallRecord
from app.cli import log_cmd
from tests.conftest import make_cli
from app.models import Redaction


def add_calls(services, n: int) -> None:
    for i in range(n):
        services.call_log.record(CallRecord(
            time=datetime(2026, 11, 27, 12, i, tzinfo=timezone.utc), provider="openai", model="gpt-x",
            purpose=f"draft:{i}", prompt_sha256="ab" * 32, chunk_ids=["c1", "c2"], policy="redact",
            redactions=[Redaction(kind="email", placeholder="[EMAIL_1]", chunk_id="c1")] * (i + 1),
            input_tokens=100 + i, output_tokens=None, duration_s=1.25, ok=i != 1, error="" if i != 1 else "Timeout",
        ))


def test_json_output_lists_calls_newest_first(services) -> None:
    add_calls(services, 3)
    result = make_cli(services, log_cmd)("log", "--limit", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    calls = json.loads(result.output)["calls"]
    assert [c["purpose"] for c in calls] == ["draft:2", "draft:1"]
    assert calls[1]["ok"] is False and calls[1]["error"] == "Timeout"
    assert calls[0]["redactions"][0] == {"kind": "email", "placeholder": "[EMAIL_1]", "chunk_id": "c1"}


def test_text_output_is_a_table(services, monkeypatch) -> None:
    from app.cli import common

    monkeypatch.setattr(common.console, "width", 200)  # the shared console sized itself at import
    add_calls(services, 2)
    result = make_cli(services, log_cmd)("log")
    assert result.exit_code == 0, result.output
    assert "draft:0" in result.output and "draft:1" in result.output
    assert "email 2" in result.output and "101/-" in result.output and "Timeout" in result.output


def test_empty_log_says_so(services) -> None:
    result = make_cli(services, log_cmd)("log")
    assert result.exit_code == 0 and "No LLM calls recorded yet." in result.output
    result = make_cli(services, log_cmd)("log", "--format", "json")
    assert json.loads(result.output) == {"calls": []}
