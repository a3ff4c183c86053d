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
import threading
import time
from dataclasses import dataclass, replace
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
# Providers reached through langchain-openai, which reports token usage of a stream when asked.
_OPENAI_STYLE = ("local", "openai", "openai-compatible")
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
                      api_key: str = "", threads: int | None = None) -> "LocalServer":
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
    return start_server(path, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads if threads is None else threads,
                        n_threads_batch=cfg.n_threads_batch,
                        poll=cfg.poll, n_parallel=slots or cfg.concurrent_calls, chat_template=cfg.chat_template,
                        host=host, port=port, api_key=api_key)


class LocalModels:
    """The embedded model, served once for each number of generating threads a draft asks for.

    A draft that starts on a quiet machine gets every core; one that starts beside a busy
    process gets fewer threads (see :func:`app.localmodel.threads_for`). Each count has its own
    server, started on first use; the weights are memory-mapped, so a second server costs its
    context and compute buffers only.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._models: dict[int, BaseChatModel] = {}
        self._servers: list["LocalServer"] = []
        self._lock = threading.Lock()

    def model(self, threads: int) -> BaseChatModel:
        """The chat model on the server with ``threads`` generating threads (started if need be)."""
        from langchain_openai import ChatOpenAI

        with self._lock:
            if threads not in self._models:
                cfg = self.settings.llm
                server = serve_local_model(self.settings, threads=threads)
                self._servers.append(server)
                self._models[threads] = ChatOpenAI(
                    model=LOCAL_MODEL_NAME, base_url=server.base_url, api_key="local-no-key",
                    temperature=cfg.temperature, max_tokens=cfg.max_tokens, timeout=cfg.timeout_s, max_retries=0)
            return self._models[threads]

    def for_load(self) -> BaseChatModel:
        """The model for a draft starting now, by how busy the machine is."""
        from app.localmodel import busy_cores, threads_for

        cfg = self.settings.llm
        return self.model(threads_for(busy_cores(), cfg.n_threads, cfg.busy_threads))

    def default(self) -> BaseChatModel:
        """The model for a quiet machine (every configured thread)."""
        from app.localmodel import threads_for

        return self.model(threads_for(None, self.settings.llm.n_threads, self.settings.llm.busy_threads))

    def close(self) -> None:
        """Stop every server."""
        with self._lock:
            for server in self._servers:
                server.close()
            self._servers.clear()
            self._models.clear()


def _local_model(settings: Settings) -> tuple[BaseChatModel, Callable[[], None], Callable[[], BaseChatModel]]:
    models = LocalModels(settings)
    return models.default(), models.close, models.for_load


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


@dataclass
class ChatModels:
    """The configured chat model, how to close it, and (embedded model only) how to pick the
    server for a draft by the machine's load."""

    model: BaseChatModel
    close: Callable[[], None] | None = None
    for_draft: Callable[[], BaseChatModel] | None = None


def make_chat_model(settings: Settings) -> ChatModels:
    """Build the configured chat model."""
    provider = settings.llm.provider
    if provider == "fake":
        return ChatModels(_fake_model(settings))
    if provider == "local":
        return ChatModels(*_local_model(settings))
    return ChatModels(_remote_model(settings))


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


def bound_max_tokens(model: BaseChatModel, provider: str, max_tokens: int) -> Any:
    """``model`` with its reply capped at ``max_tokens`` (each provider names the cap its own way)."""
    if provider == "fake":
        return model
    key = "num_predict" if provider == "ollama" else "max_tokens"
    return model.bind(**{key: max_tokens})


# A small model sometimes repeats a few characters until its budget runs out ("- - - - …"), or
# goes round a cycle of lines; either ends the reply.
REPEAT_WINDOW = 48
# A line this long is no longer one item but the model copying on through its sources.
MAX_LINE_CHARS = 320
_DEGENERATE = re.compile(r"(.{1,6}?)\1{7,}$", re.DOTALL)


def stream_lines(model: Any, messages: list[BaseMessage], max_lines: int, **kwargs: Any) -> AIMessage:
    """Stream a plain-text reply and stop after ``max_lines`` non-empty lines."""
    full: AIMessageChunk | None = None
    chunks = 0
    stream = model.stream(messages, **kwargs)
    try:
        for chunk in stream:
            full = chunk if full is None else full + chunk
            chunks += bool(chunk.content)
            text = str(full.content)
            done = [line.strip() for line in text.split("\n")[:-1] if line.strip()]
            current = text[text.rfind("\n") + 1:]
            if (len(done) >= max_lines or _DEGENERATE.search(text[-REPEAT_WINDOW:])
                    or (len(done) > 1 and done[-1] in done[:-1]) or len(current) > MAX_LINE_CHARS):
                break
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
    if full is None:
        return AIMessage(content="")
    text = str(full.content)
    if _DEGENERATE.search(text[-REPEAT_WINDOW:]) or len(text) - text.rfind("\n") - 1 > MAX_LINE_CHARS:
        text = text[: text.rfind("\n") + 1]  # the degenerate or runaway line is dropped
    lines = list(dict.fromkeys(line for line in text.split("\n") if line.strip()))  # a repeated line once
    # A stream closed early never sends its usage: the tokens it generated are counted from the
    # chunks (llama.cpp streams one token per chunk), the prompt's stay unknown.
    metadata = {**(full.response_metadata or {}), "streamed_chunks": chunks}
    return AIMessage(content="\n".join(lines[:max_lines]), usage_metadata=full.usage_metadata,
                     response_metadata=metadata)


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
    # Text calls go to this llama.cpp server slot, which keeps the prompt prefix they share in its
    # cache: unpinned, a call sent while a stopped stream is still being cancelled lands on another
    # slot and evaluates the whole prefix again. None for any other provider.
    text_slot: int | None = None
    # The embedded model picks its server per draft by the machine's load (LocalModels.for_load).
    choose_model: Callable[[], BaseChatModel] | None = None

    def for_draft(self) -> "LLMClient":
        """This client for one draft: with the embedded model, on the server whose thread count
        suits how busy the machine is now (the same server for all of the draft's calls, so their
        shared prompt prefix stays cached)."""
        if self.choose_model is None:
            return self
        return replace(self, model=self.choose_model())

    def text(self, messages: list[BaseMessage], *, purpose: str, chunk_ids: list[str] | None = None,
             redactions: list["Redaction"] | None = None, max_tokens: int | None = None,
             max_lines: int | None = None) -> str:
        """One logged, policy-checked plain-text call.

        ``chunk_ids`` and ``redactions`` name the sources the prompt carries and what was masked
        in them (for the call log); ``max_tokens`` caps this reply below the configured budget;
        ``max_lines`` ends it after that many lines (the reply streams and the stream is closed,
        which stops the model rather than letting it write lines nobody keeps).
        """
        model = self.model if max_tokens is None else bound_max_tokens(self.model, self.provider, max_tokens)
        if self.text_slot is not None:
            model = model.bind(extra_body={"id_slot": self.text_slot})

        def send() -> tuple[None, AIMessage]:
            if max_lines is None:
                return None, model.invoke(messages)
            usage = {"stream_usage": True} if self.provider in _OPENAI_STYLE else {}
            return None, stream_lines(model, messages, max_lines, **usage)

        return str(self._call(messages, purpose, chunk_ids or [], redactions or [], send)[1].content)

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
            if not usage and getattr(raw, "response_metadata", {}).get("streamed_chunks"):
                usage = {"input_tokens": None, "output_tokens": raw.response_metadata["streamed_chunks"]}
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
