"""The audit chain: each row stores sha256(prev_hash + canonical row)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

GENESIS = "0" * 64


def canonical_json(data: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) used for every hash in the store."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """Chain hash of one audit row (``row`` without its own hashes)."""
    return sha256_text(prev_hash + canonical_json(row))


def audit_row(seq: int, at: str, actor: str, action: str, draft_id: str, version: int | None,
              details: dict[str, Any]) -> dict[str, Any]:
    """The hashed fields of an audit row, in one place so writing and verifying agree."""
    return {"seq": seq, "at": at, "actor": actor, "action": action, "draft_id": draft_id,
            "version": version, "details": details}


def verify_chain(rows: Iterable[tuple], head: tuple[int, str] | None) -> tuple[int, str, list[str]]:
    """Check ``(seq, at, actor, action, draft_id, version, details_json, prev_hash, hash)`` rows.

    Returns ``(count, head_hash, problems)``; a problem names the row and what is wrong.
    """
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for seq, at, actor, action, draft_id, version, details_json, prev_hash, stored in rows:
        count += 1
        if seq != expected_seq:
            problems.append(f"audit rows {expected_seq}..{seq - 1} are missing (deleted)")
        if prev_hash != prev:
            problems.append(f"audit row {seq}: previous-hash link broken (a row before it was changed or removed)")
        try:
            details = json.loads(details_json)
        except ValueError:
            problems.append(f"audit row {seq}: details are not valid JSON (edited)")
            details = details_json
        if row_hash(prev_hash, audit_row(seq, at, actor, action, draft_id, version, details)) != stored:
            problems.append(f"audit row {seq} ({action}): content does not match its hash (edited)")
        prev, expected_seq = stored, seq + 1
    head_seq, head_hash = head if head else (0, GENESIS)
    if (head_seq, head_hash) != (expected_seq - 1, prev):
        problems.append(f"audit log ends at row {expected_seq - 1} but its recorded head is row {head_seq} "
                        "(rows were cut off the end or the head was changed)")
    return count, prev, problems
