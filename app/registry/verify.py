"""Offline verification of an exported registry: files, content hashes, signatures, the audit anchor.

Needs nothing but the registry folder (its published public key): a team, an auditor or CI
can run ``sopdraft verify REGISTRY_DIR`` without the database or the private key.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, Field, ValidationError

from app.models import SOP
from app.registry.audit import canonical_json
from app.registry.export import ANCHOR, MANIFEST
from app.registry.keys import PUBLIC_NAME, load_public, public_fingerprint, verify_signature
from app.registry.records import Signature
from app.registry.signatures import signature_problem


class RegistryReport(BaseModel):
    """What ``verify`` found: how many versions and signatures checked out, and every problem."""

    ok: bool
    versions: int = 0
    signatures: int = 0
    problems: list[str] = Field(default_factory=list)


def signed_json_problem(data: dict[str, Any], public_key: Ed25519PublicKey, what: str) -> str | None:
    """Why a file written by ``export.signed_json`` does not verify (None when it does)."""
    body = {k: v for k, v in data.items() if k != "signature"}
    if body.get("key_id") != public_fingerprint(public_key):
        return f"{what} was signed with another key ({body.get('key_id')})"
    if not verify_signature(public_key, str(data.get("signature", "")), canonical_json(body).encode("utf-8")):
        return f"{what}: signature does not verify (edited)"
    return None


def load_public_key(registry_dir: Path) -> Ed25519PublicKey:
    """The registry's published public key; ``ValueError`` if it is missing or not a key."""
    path = registry_dir / PUBLIC_NAME
    if not path.is_file():
        raise ValueError(f"{path} is missing: this folder was not exported by sopdraft with signatures")
    return load_public(path.read_bytes())


def _check_version(folder: Path, public_key: Ed25519PublicKey) -> tuple[list[str], int]:
    where = folder.as_posix()
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{where}: manifest unreadable ({exc})"], 0
    problem = signed_json_problem(manifest, public_key, f"{where}/{MANIFEST}")
    if problem:
        return [problem], 0
    problems = []
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{where}/{name}: listed in the manifest but missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{where}/{name}: content differs from the signed manifest (edited after export)")
    content = manifest["content_hash"]
    json_name = next((n for n in manifest["files"] if n.endswith(".json")), None)
    if json_name and (folder / json_name).is_file():
        try:
            sop = SOP.model_validate(json.loads((folder / json_name).read_text(encoding="utf-8"))["sop"])
            if sop.content_hash() != content:
                problems.append(f"{where}/{json_name}: the SOP's content hash is {sop.content_hash()[:12]}, "
                                f"the manifest says {content[:12]}")
        except (OSError, ValueError, KeyError, ValidationError) as exc:
            problems.append(f"{where}/{json_name}: not a readable SOP ({exc})")
    signatures = 0
    for raw in manifest.get("signatures", []):
        sig = Signature.model_validate(raw)
        problem = signature_problem(sig, public_key, draft_id=manifest["draft_id"], version=sig.record.version,
                                    content_hash=content)
        if problem:
            problems.append(f"{where}: {problem}")
        else:
            signatures += 1
    if not any(s.get("record", {}).get("meaning") == "approved" for s in manifest.get("signatures", [])):
        problems.append(f"{where}: no 'approved' signature")
    return problems, signatures


def verify_registry(registry_dir: Path) -> RegistryReport:
    """Check every exported version under ``registry_dir`` against its signed manifest and signatures."""
    registry_dir = Path(registry_dir)
    try:
        public_key = load_public_key(registry_dir)
    except ValueError as exc:
        return RegistryReport(ok=False, problems=[str(exc)])
    report = RegistryReport(ok=True)
    for entry in _index_entries(registry_dir, report):
        for version in entry.get("versions", []):
            folder = _version_folder(registry_dir, version)
            if folder is None or not (folder / MANIFEST).is_file():
                report.problems.append(f"{entry.get('sop_id')} {version.get('version')}: exported without a signed "
                                       "manifest (before signatures existed, or the manifest was removed)")
                continue
            problems, signatures = _check_version(folder, public_key)
            report.versions += 1
            report.signatures += signatures
            report.problems += problems
    anchor = registry_dir / ANCHOR
    if anchor.is_file():
        problem = signed_json_problem(json.loads(anchor.read_text(encoding="utf-8")), public_key, ANCHOR)
        if problem:
            report.problems.append(problem)
    report.ok = not report.problems
    return report


def _index_entries(registry_dir: Path, report: RegistryReport) -> list[dict[str, Any]]:
    try:
        return json.loads((registry_dir / "index.json").read_text(encoding="utf-8"))["sops"]
    except (OSError, ValueError, KeyError) as exc:
        report.problems.append(f"{registry_dir}/index.json unreadable ({exc})")
        return []


def _version_folder(registry_dir: Path, version: dict[str, Any]) -> Path | None:
    files = version.get("files") or []
    return (registry_dir / files[0]).parent if files else None


def anchor_problems(registry_dir: Path, stored_hash_at: Any) -> list[str]:
    """Compare the signed audit anchor in ``registry_dir`` with the database (``stored_hash_at(seq)``).

    A database whose history was rewritten after that export no longer has the anchored
    hash at the anchored row.
    """
    path = Path(registry_dir) / ANCHOR
    if not path.is_file():
        return [f"{path} is missing: nothing was exported to this registry with an anchor yet"]
    try:
        public_key = load_public_key(Path(registry_dir))
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"{path}: unreadable ({exc})"]
    problem = signed_json_problem(data, public_key, ANCHOR)
    if problem:
        return [problem]
    stored = stored_hash_at(int(data["seq"]))
    if stored != data["hash"]:
        return [f"audit row {data['seq']} in the database is {str(stored)[:16]}, but the registry anchored "
                f"{data['hash'][:16]} at the export of {data['at']}: history was rewritten after that export"]
    return []
