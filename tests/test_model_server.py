"""``sopdraft model serve``: one real model server that other processes use through the openai-compatible seam."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from app.services import Services
from app.settings import LLMSettings, Settings
from tests.support.net import free_port, wait_http_ok

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.smoke
def test_one_model_server_answers_other_processes_and_stays_local(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOPDRAFT_LLM__CONCURRENT_CALLS": "2"}
    server = subprocess.Popen([sys.executable, "-c", "from app.cli.main import run; run()", "--data-dir",
                               str(tmp_path / "server"), "model", "serve", "--port", str(port)],
                              env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health", server, timeout=300)
        base_url = f"http://127.0.0.1:{port}/v1"
        client = Services(Settings(data_dir=tmp_path / "client",
                                   llm=LLMSettings(provider="openai-compatible", base_url=base_url)))
        assert client.llm.policy == "allow", "a model server on loopback is this machine: nothing is masked"
        reply = client.llm.structured([HumanMessage("Name one colour.")],
                                      {"type": "object", "properties": {"colour": {"type": "string", "maxLength": 20}},
                                       "required": ["colour"], "additionalProperties": False},
                                      name="colour", purpose="test:serve", chunk_ids=[], redactions=[])
        assert isinstance(reply["colour"], str) and reply["colour"]
        [call] = client.call_log.read()
        assert call.provider == "openai-compatible" and call.ok and call.output_tokens
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    assert server.returncode == 0, output
    assert f"serving qwen2.5-coder-1.5b-instruct-q4_k_m.gguf at http://127.0.0.1:{port}/v1" in output
    assert "model server stopped" in output


def test_serving_beyond_loopback_needs_an_api_key(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli.main import build_app

    result = CliRunner().invoke(build_app(), ["--data-dir", str(tmp_path), "model", "serve", "--host", "0.0.0.0"])
    assert result.exit_code != 0 and "without an API key" in result.output


@pytest.mark.smoke
def test_the_team_stack_starts_on_loopback_from_one_command(tmp_path: Path) -> None:
    """`make team-demo`: PostgreSQL, a Chroma server, one model server and two UIs sharing them."""
    ports = f"{free_port()},{free_port()}"
    done = subprocess.run([sys.executable, "scripts/team_demo.py", "--data-dir", str(tmp_path / "team"), "--check",
                           "--ui-ports", ports], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "team stack is up: every server answered" in done.stdout
    assert done.stdout.count("UI on http://127.0.0.1:") == 2 and "8 ingested" in done.stdout
