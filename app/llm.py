"""The one seam between sopdraft and chat-model providers.

Only this module imports provider packages (lazily, with an error naming the missing
extra). Everything else speaks LangChain's ``BaseChatModel`` through :class:`LLMClient`,
which applies the data policy one last time and logs every call.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage

from app.settings import Settings

if TYPE_CHECKING:
    from app.calllog import CallLog
    from app.models import Redaction
    from app.localmodel import LocalServer

LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5", "ollama": "qwen2.5:1.5b"}


class ProviderError(RuntimeError):
    """A provider cannot be used as configured; the message says how to fix it."""


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ProviderError(
            f"the {extra!r} provider needs the optional package {module!r}: pip install 'sopdraft[{extra}]'"
        ) from exc


def _fake_model(settings: Settings) -> BaseChatModel:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    replies = settings.llm.fake_responses
    if not replies:
        raise ProviderError("the fake provider needs canned replies in llm.fake_responses (SOPDRAFT_LLM__FAKE_RESPONSES)")
    return GenericFakeChatModel(messages=(AIMessage(content=r) for r in itertools.cycle(replies)))


def serve_local_model(settings: Settings, *, host: str = "127.0.0.1", port: int = 0, slots: int | None = None,
                      api_key: str = "") -> "LocalServer":
    """Start the embedded (or configured GGUF) model as an OpenAI-compatible server.

    Used by every drafting process of its own, and by ``sopdraft model serve`` to run one
    model for all UI and CLI processes of a team (they reach it as ``openai-compatible``).
    """
    from app.localmodel import prepare_model, start_server, verify_gguf

    cfg = settings.llm
    if cfg.gguf_path:
        path = verify_gguf(cfg.gguf_path, None)
    else:
        path = prepare_model(settings.models_dir, cfg.gguf_sha256)
    return start_server(path, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads, n_threads_batch=cfg.n_threads_batch,
                        poll=cfg.poll, n_parallel=slots or cfg.concurrent_calls, chat_template=cfg.chat_template,
                        host=host, port=port, api_key=api_key)


def _local_model(settings: Settings) -> tuple[BaseChatModel, Callable[[], None]]:
    from langchain_openai import ChatOpenAI

    cfg = settings.llm
    server = serve_local_model(settings)
    model = ChatOpenAI(
        model=LOCAL_MODEL_NAME,
        base_url=server.base_url,
        api_key="local-no-key",
        temperature=cfg.temperature,
        max_tokens=cfg.max_tokens,
        timeout=cfg.timeout_s,
        max_retries=0,
    )
    return model, server.close


def _remote_model(settings: Settings) -> BaseChatModel:
    cfg = settings.llm
    key = cfg.api_key.get_secret_value() if cfg.api_key else None
    name = cfg.model or DEFAULT_MODELS.get(cfg.provider, "")
    common = {"temperature": cfg.temperature, "max_tokens": cfg.max_tokens, "timeout": cfg.timeout_s}
    if cfg.provider in ("openai", "openai-compatible"):
        if cfg.provider == "openai-compatible" and not cfg.base_url:
            raise ProviderError("openai-compatible needs llm.base_url (SOPDRAFT_LLM__BASE_URL)")
        openai = _require("langchain_openai", "openai")
        extra = {"base_url": cfg.base_url} if cfg.base_url else {}
        return openai.ChatOpenAI(model=name, api_key=key or "not-set", max_retries=1, **extra, **common)
    if cfg.provider == "anthropic":
        anthropic = _require("langchain_anthropic", "anthropic")
        return anthropic.ChatAnthropic(model=name, api_key=key, max_retries=1, **common)
    if cfg.provider == "ollama":
        ollama = _require("langchain_ollama", "ollama")
        extra = {"base_url": cfg.base_url} if cfg.base_url else {}
        return ollama.ChatOllama(model=name, temperature=cfg.temperature, num_predict=cfg.max_tokens, **extra)
    raise ProviderError(f"unknown provider {cfg.provider!r}")


def make_chat_model(settings: Settings) -> tuple[BaseChatModel, Callable[[], None] | None]:
    """Build the configured chat model; returns it and a closer (or None)."""
    provider = settings.llm.provider
    if provider == "fake":
        return _fake_model(settings), None
    if provider == "local":
        return _local_model(settings)
    return _remote_model(settings), None


def model_name(settings: Settings) -> str:
    """The model name recorded in logs and drafts."""
    if settings.llm.provider == "local":
        return settings.llm.gguf_path.name if settings.llm.gguf_path else LOCAL_MODEL_NAME
    if settings.llm.provider == "fake":
        return "fake"
    return settings.llm.model or DEFAULT_MODELS.get(settings.llm.provider, "")


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


def _parse_json_text(text: str) -> dict:
    cleaned = _FENCE.sub("", text.strip())
    start, end = cleaned.find("{"), cleaned.rfind("}")
    if start < 0 or end < start:
        raise ValueError(f"model reply is not JSON: {text[:200]!r}")
    return json.loads(cleaned[start : end + 1])


# Constrained JSON never needs more whitespace in a row than an indented line break; the
# embedded server's grammar (llguidance) allows any amount, and the small model sometimes
# spends its whole token budget on it.
WHITESPACE_RUN_MAX = 64


@dataclass
class JSONReply:
    """A structured reply: the parsed object, and why generation stopped early ("" if it did not).

    ``stopped`` is ``"whitespace"`` when a run of whitespace longer than
    :data:`WHITESPACE_RUN_MAX` was cut off, ``"length"`` when the token budget ran out; then
    ``data`` holds what was complete before the cut (whole list items only).
    """

    data: dict
    raw: AIMessage | None = None
    stopped: str = ""


def salvage_json(text: str) -> dict:
    """The complete part of a cut-off JSON object: everything up to its last closed ``}``."""
    from langchain_core.utils.json import parse_partial_json

    cleaned = _FENCE.sub("", text.strip())
    start = cleaned.find("{")
    if start < 0:
        return {}
    end = cleaned.rfind("}")
    body = cleaned[start : end + 1] if end > start else cleaned[start:]
    parsed = parse_partial_json(body)
    return parsed if isinstance(parsed, dict) else {}


def stream_json(model: BaseChatModel, messages: list[BaseMessage], schema: dict) -> JSONReply:
    """Stream a reply constrained to ``schema`` from a llama.cpp server, cutting off runaways.

    The schema goes in llama.cpp's own ``json_schema`` field. Streaming lets a run of
    whitespace be stopped after :data:`WHITESPACE_RUN_MAX` characters (closing the stream
    cancels the server's task) instead of after the whole token budget.
    """
    full: AIMessageChunk | None = None
    run, chunks, stopped = 0, 0, ""
    stream = model.stream(messages, extra_body={"json_schema": schema}, stream_usage=True)
    try:
        for chunk in stream:
            full = chunk if full is None else full + chunk
            text = str(chunk.content)
            chunks += bool(text)
            kept = text.rstrip()
            run = run + len(text) if not kept else len(text) - len(kept)
            if run > WHITESPACE_RUN_MAX:
                stopped = "whitespace"
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    text = str(full.content) if full is not None else ""
    finish = (full.response_metadata or {}).get("finish_reason") if full is not None else None
    stopped = stopped or ("length" if finish == "length" else "")
    raw = AIMessage(content=text, usage_metadata=full.usage_metadata if full is not None else None,
                    response_metadata=full.response_metadata if full is not None else {})
    if raw.usage_metadata is None and chunks:
        # llama.cpp streams one token per chunk; a stream closed early never sends its usage.
        raw.usage_metadata = {"input_tokens": 0, "output_tokens": chunks, "total_tokens": chunks}
    if stopped:
        return JSONReply(salvage_json(text), raw, stopped)
    return JSONReply(_parse_json_text(text), raw)


def invoke_json(model: BaseChatModel, messages: list[BaseMessage], schema: dict, name: str) -> tuple[dict, AIMessage | None]:
    """Ask for JSON matching ``schema`` (constrained decoding where the provider supports it).

    Returns the parsed object and the raw message (for token usage). Models without
    structured-output support (the fake test model) are asked plainly and parsed.
    """
    try:
        structured = model.with_structured_output({"name": name, "schema": schema}, method="json_schema", include_raw=True)
    except NotImplementedError:
        raw = model.invoke(messages)
        return _parse_json_text(str(raw.content)), raw
    result = structured.invoke(messages)
    raw = result.get("raw")
    parsed = result.get("parsed")
    if parsed is None:
        if raw is not None and raw.content:
            return _parse_json_text(str(raw.content)), raw
        raise ValueError(f"model returned no parsable JSON: {result.get('parsing_error')}")
    return parsed, raw


@dataclass
class LLMClient:
    """A chat model plus the data policy and call log that every call goes through."""

    model: BaseChatModel
    provider: str
    model_name: str
    policy: str
    call_log: "CallLog"
    concurrency: int = 1  # calls callers may have in flight at once (the local server's slots)
    stream_json: bool = False  # structured calls stream from a llama.cpp server (see stream_json)

    def text(self, messages: list[BaseMessage], *, purpose: str) -> str:
        """One logged, policy-checked plain-text call (no sources, nothing masked by the caller)."""
        return str(self._call(messages, purpose, [], [], lambda: (None, self.model.invoke(messages)))[1].content)

    def structured(self, messages: list[BaseMessage], schema: dict, **call: Any) -> dict:
        """One logged, policy-checked structured call (keywords as :meth:`structured_reply`);
        a reply that was cut off raises ``ValueError``."""
        reply = self.structured_reply(messages, schema, **call)
        if reply.stopped:
            raise ValueError(f"the model's reply for {call.get('purpose')} was cut off ({reply.stopped})")
        return reply.data

    def structured_reply(
        self,
        messages: list[BaseMessage],
        schema: dict,
        *,
        name: str,
        purpose: str,
        chunk_ids: list[str],
        redactions: list["Redaction"],
    ) -> JSONReply:
        """One logged, policy-checked structured call that keeps the complete part of a cut-off reply."""

        def send() -> tuple[JSONReply, AIMessage | None]:
            if self.stream_json:
                reply = stream_json(self.model, messages, schema)
            else:
                data, raw = invoke_json(self.model, messages, schema, name)
                reply = JSONReply(data, raw)
            return reply, reply.raw

        return self._call(messages, purpose, chunk_ids, redactions, send)[0]

    def _call(self, messages: list[BaseMessage], purpose: str, chunk_ids: list[str],
              redactions: list["Redaction"], send: Callable[[], tuple[Any, Any]]) -> tuple[Any, Any]:
        """Check the policy, run ``send`` (returns ``(parsed, raw message)``), log the call."""
        from app.calllog import CallRecord, safe_error
        from app.privacy import DataBlockedError, detect

        prompt = "\n\n".join(str(m.content) for m in messages)
        if self.policy == "block" and (found := detect(prompt)):
            kinds = sorted({d.kind for d in found})
            raise DataBlockedError(f"prompt for {purpose} still contains {', '.join(kinds)}; not sent to {self.provider}")
        started, parsed, raw, error = time.perf_counter(), None, None, ""
        try:
            parsed, raw = send()
            return parsed, raw
        except Exception as exc:
            error = safe_error(exc)
            raise
        finally:
            usage = getattr(raw, "usage_metadata", None) or {}
            self.call_log.record(
                CallRecord(
                    time=datetime.now(timezone.utc),
                    provider=self.provider,
                    model=self.model_name,
                    purpose=purpose,
                    prompt_sha256=hashlib.sha256(prompt.encode("utf-8")).hexdigest(),
                    chunk_ids=chunk_ids,
                    redactions=redactions,
                    policy=self.policy,
                    input_tokens=usage.get("input_tokens"),
                    output_tokens=usage.get("output_tokens"),
                    duration_s=round(time.perf_counter() - started, 3),
                    ok=not error,
                    error=error,
                    stopped=getattr(parsed, "stopped", "") if not error else "",
                )
            )
