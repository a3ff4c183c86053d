"""Electronic signatures: the signed fields, how they are signed, and how they are checked.

A signature binds who (user id and printed name), when (UTC), what it means (``reviewed``
or ``approved``) and the content hash of one exact version, signed with the registry's
Ed25519 key. Editing a field, moving a signature to another version or inserting one into
the database without the key makes it fail :func:`signature_problem`.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.registry.audit import canonical_json
from app.registry.keys import RegistryKey, public_fingerprint, verify_signature
from app.registry.records import Signature, SignatureRecord

MEANING_TEXT = {"reviewed": "Reviewed", "approved": "Approved"}


def signed_bytes(record: SignatureRecord) -> bytes:
    """The canonical bytes a signature is made over."""
    return canonical_json(record.model_dump(mode="json")).encode("utf-8")


def make_signature(key: RegistryKey, record: SignatureRecord) -> Signature:
    """Sign ``record`` with the registry key."""
    return Signature(record=record, signature=key.sign(signed_bytes(record)))


def signature_problem(signature: Signature, public_key: Ed25519PublicKey, *, draft_id: str, version: int,
                      content_hash: str) -> str | None:
    """Why ``signature`` does not hold for this exact version (None when it does)."""
    rec = signature.record
    who = f"{rec.meaning} signature of {rec.signer_name} ({rec.signer_id})"
    if rec.key_id != public_fingerprint(public_key):
        return f"{who} was made with another key ({rec.key_id})"
    if not verify_signature(public_key, signature.signature, signed_bytes(rec)):
        return f"{who} does not verify (its fields were edited or it was not made with the registry key)"
    if (rec.draft_id, rec.version) != (draft_id, version):
        return f"{who} belongs to {rec.draft_id} v{rec.version}, not {draft_id} v{version} (moved)"
    if rec.content_hash != content_hash:
        return f"{who} covers content {rec.content_hash[:12]}, but this version's content is {content_hash[:12]}"
    return None


def manifestation(signature: Signature) -> str:
    """``Approved by Dana Reyes (Operations Manager), 2026-12-01 14:03 UTC`` for exports."""
    rec = signature.record
    title = f" ({rec.signer_title})" if rec.signer_title else ""
    return f"{MEANING_TEXT[rec.meaning]} by {rec.signer_name}{title}, {rec.signed_at:%Y-%m-%d %H:%M} UTC"
