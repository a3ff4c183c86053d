"""Every LLM call goes through app/llm.py (LLMClient: data policy + call log).

Fails when any other module calls a chat model directly: a LangChain call method
(``invoke``, ``stream``, ``batch``, ``generate``, ``with_structured_output`` ...) on
anything, or ``make_chat_model`` outside the service container.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "ingest")
SEAM = Path("app/llm.py")
CALL_METHODS = {"invoke", "ainvoke", "stream", "astream", "batch", "abatch", "generate", "agenerate",
                "predict", "apredict", "with_structured_output", "bind_tools"}
# Builds the model (and hands it to LLMClient); calls nothing.
MAY_BUILD = {Path("app/services.py")}
# Classes with a method of the same name that are not chat models (e.g. Ed25519PrivateKey.generate()).
NOT_MODELS = ("PrivateKey",)


def direct_calls(source: str) -> list[tuple[int, str]]:
    """``(line, what)`` of every chat-model call in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CALL_METHODS:
            if isinstance(func.value, ast.Name) and func.value.id.endswith(NOT_MODELS):
                continue
            found.append((node.lineno, f".{func.attr}()"))
        elif isinstance(func, ast.Name) and func.id in ("make_chat_model", "invoke_json"):
            found.append((node.lineno, f"{func.id}()"))
    return found


def test_the_checker_sees_a_direct_call():
    assert direct_calls("svc.chat_model.invoke([m])") == [(1, ".invoke()")]
    assert direct_calls("model.with_structured_output(s).invoke(m)")
    assert direct_calls("Ed25519PrivateKey.generate()") == []
    assert direct_calls("llm.structured(m, s, name='x', purpose='p', chunk_ids=[], redactions=[])") == []


def test_no_module_but_the_seam_calls_a_chat_model():
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel == SEAM:
                continue
            for line, what in direct_calls(path.read_text(encoding="utf-8")):
                if rel in MAY_BUILD and what == "make_chat_model()":
                    continue
                offenders.append(f"{rel}:{line} {what}")
    assert offenders == [], "call chat models through app.llm.LLMClient:\n" + "\n".join(offenders)
