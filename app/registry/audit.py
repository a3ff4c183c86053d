"""The audit chain: each row stores a link over (prev_hash + canonical row).

Rows written since accounts exist are ``hmac`` rows: the link is an HMAC-SHA256 under a key
derived from the registry key (kept outside the database), and the row names the user
(``actor`` is the user id, ``actor_name`` the printed name). Older ``sha256`` rows keep
their plain SHA-256 link; they stay verifiable as far as a plain hash goes, and their actor
is shown as an unverified name.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from app.registry.keys import RegistryKey

GENESIS = "0" * 64
KEYED, PLAIN = "hmac", "sha256"


def canonical_json(data: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) used for every hash in the store."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def row_hash(prev_hash: str, row: dict[str, Any], key: "RegistryKey | None" = None) -> str:
    """Chain link of one audit row (``row`` without its own hashes): HMAC with ``key``, else SHA-256."""
    text = prev_hash + canonical_json(row)
    return key.mac(text) if key is not None else sha256_text(text)


def audit_row(seq: int, at: str, actor: str, action: str, draft_id: str, version: int | None,
              details: dict[str, Any], actor_name: str | None = None) -> dict[str, Any]:
    """The linked fields of an audit row, in one place so writing and verifying agree.

    ``actor_name`` is part of keyed rows only (older rows were linked without it).
    """
    row = {"seq": seq, "at": at, "actor": actor, "action": action, "draft_id": draft_id,
           "version": version, "details": details}
    if actor_name is not None:
        row["actor_name"] = actor_name
    return row


def verify_chain(rows: Iterable[tuple], head: tuple[int, str] | None, key: "RegistryKey | None" = None,
                 keyed_from: int | None = None) -> tuple[int, str, list[str]]:
    """Check ``(seq, at, actor, action, draft_id, version, details_json, prev_hash, hash, actor_name, chain)`` rows.

    With ``key``, keyed rows are checked against it, and every row from ``keyed_from`` on
    must be keyed (so history cannot be rewritten as unkeyed rows). Returns
    ``(count, head_hash, problems)``; a problem names the row and what is wrong.
    """
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for seq, at, actor, action, draft_id, version, details_json, prev_hash, stored, actor_name, kind in rows:
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
        if kind == KEYED:
            row = audit_row(seq, at, actor, action, draft_id, version, details, actor_name)
            if key is None:
                problems.append(f"audit row {seq} is keyed but no registry key was given to check it")
            elif row_hash(prev_hash, row, key) != stored:
                problems.append(f"audit row {seq} ({action}): content does not match its keyed hash (edited or "
                                "rewritten without the registry key)")
        else:
            if keyed_from is not None and seq >= keyed_from:
                problems.append(f"audit row {seq} ({action}) is unkeyed, but the chain is keyed from row "
                                f"{keyed_from} on (history rewritten)")
            if row_hash(prev_hash, audit_row(seq, at, actor, action, draft_id, version, details)) != stored:
                problems.append(f"audit row {seq} ({action}): content does not match its hash (edited)")
        prev, expected_seq = stored, seq + 1
    head_seq, head_hash = head if head else (0, GENESIS)
    if (head_seq, head_hash) != (expected_seq - 1, prev):
        problems.append(f"audit log ends at row {expected_seq - 1} but its recorded head is row {head_seq} "
                        "(rows were cut off the end or the head was changed)")
    return count, prev, problems
