"""The LLM call log: one JSON line per model call, never the prompt itself.

Each record says who was called (provider, model), why (purpose), with what (a SHA-256 of
the prompt, the chunk ids sent, what was redacted under which policy), and how it went
(tokens, duration, error). Appends are serialised with a lock file so threads and
processes can share the log, and fsynced so a record written is a record kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.models import Redaction

log = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 300


class CallRecord(BaseModel):
    """One LLM call as recorded in the log (no prompt text: only its hash)."""

    model_config = ConfigDict(extra="forbid")

    time: datetime
    provider: str
    model: str
    purpose: str
    prompt_sha256: str
    chunk_ids: list[str] = Field(default_factory=list)
    redactions: list[Redaction] = Field(default_factory=list)
    policy: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    duration_s: float
    ok: bool
    error: str = ""
    stopped: str = Field("", description="Why a reply was cut off early: 'whitespace' (a runaway) or 'length'.")


def prompt_digest(prompt: str | Sequence[Any]) -> str:
    """SHA-256 of a prompt: a string, or chat messages (role and content of each, in order)."""
    if isinstance(prompt, str):
        canonical = prompt
    else:
        canonical = json.dumps(
            [[getattr(m, "type", ""), getattr(m, "content", m)] for m in prompt],
            ensure_ascii=False, sort_keys=True, default=str,
        )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def safe_error(error: BaseException | str) -> str:
    """A short error text for the log, with personal data and secrets masked."""
    from app.privacy import redact

    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    return redact(text[: 4 * _MAX_ERROR_CHARS]).text[:_MAX_ERROR_CHARS]


class CallLog:
    """An append-only JSON-lines file of :class:`CallRecord`, shared by threads and processes."""

    def __init__(self, path: Path) -> None:
        from filelock import FileLock

        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock")
        self._thread_lock = threading.Lock()

    def record(self, rec: CallRecord) -> None:
        """Append one record and fsync it."""
        line = (rec.model_dump_json() + "\n").encode("utf-8")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                if _ends_torn(fd):
                    # A crash left half a line: end it so this record starts on its own line.
                    line = b"\n" + line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def read(self, limit: int | None = None) -> list[CallRecord]:
        """The newest ``limit`` records (all if None), newest first; unreadable lines are skipped."""
        if not self.path.exists():
            return []
        lines = self.path.read_bytes().split(b"\n")
        records: list[CallRecord] = []
        for number in range(len(lines) - 1, -1, -1):
            if limit is not None and len(records) >= limit:
                break
            raw = lines[number].strip()
            if not raw:
                continue
            try:
                records.append(CallRecord.model_validate_json(raw))
            except ValidationError:
                if number != len(lines) - 1:  # the last line may just be a torn write
                    log.warning("%s line %d is not a call record; skipped", self.path, number + 1)
        return records


def _ends_torn(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


class CallLogHandler(BaseCallbackHandler):
    """LangChain callback that writes one :class:`CallRecord` per chat-model call.

    Per-call facts come from the run's metadata (``config={"metadata": {...}}``):
    ``purpose``, ``chunk_ids``, ``redactions`` and ``policy``. Provider and model come from
    the constructor, or from LangChain's ``ls_provider``/``ls_model_name`` metadata.
    """

    def __init__(self, call_log: CallLog, *, provider: str = "", model: str = "") -> None:
        self.call_log = call_log
        self.provider = provider
        self.model = model
        self._runs: dict[UUID, dict[str, Any]] = {}

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID,
        metadata: dict[str, Any] | None = None, **kwargs: Any,
    ) -> None:
        """Remember when the call started, the prompt hash and the call's metadata."""
        meta = metadata or {}
        self._runs[run_id] = {
            "start": time.perf_counter(),
            "time": datetime.now(timezone.utc),
            "prompt_sha256": prompt_digest([m for batch in messages for m in batch]),
            "provider": self.provider or str(meta.get("ls_provider", "")),
            "model": self.model or str(meta.get("ls_model_name", "")),
            "purpose": str(meta.get("purpose", "")),
            "chunk_ids": list(meta.get("chunk_ids", [])),
            "redactions": [Redaction.model_validate(r, from_attributes=True) for r in meta.get("redactions", [])],
            "policy": str(meta.get("policy", "")),
        }

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a successful call with its token usage."""
        tokens_in, tokens_out = _token_usage(response)
        self._finish(run_id, ok=True, input_tokens=tokens_in, output_tokens=tokens_out)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a failed call."""
        self._finish(run_id, ok=False, error=safe_error(error))

    def _finish(self, run_id: UUID, **outcome: Any) -> None:
        run = self._runs.pop(run_id, None)
        if run is None:  # a plain-LLM run this handler did not start
            return
        start = run.pop("start")
        self.call_log.record(CallRecord(duration_s=round(time.perf_counter() - start, 4), **run, **outcome))


def _token_usage(response: Any) -> tuple[int | None, int | None]:
    """Input and output tokens from the message's ``usage_metadata``, else ``llm_output``."""
    for generations in getattr(response, "generations", None) or []:
        for generation in generations:
            usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
            if usage:
                return usage.get("input_tokens"), usage.get("output_tokens")
    usage = (getattr(response, "llm_output", None) or {}).get("token_usage") or {}
    return usage.get("prompt_tokens"), usage.get("completion_tokens")
