"""Offline verification: exported files, signatures (tampered, moved, forged) and the anchored audit chain."""

from __future__ import annotations

import json

import pytest
from registry_helpers import bypass_protection, complete_sop, make_draft, restore_protection

from app.cli import registry_cmd
from app.registry import audit as chain
from app.registry.keys import RegistryKey
from app.registry.records import Signature
from app.registry.signatures import make_signature, signature_problem
from app.registry.signoff import PasswordProof
from app.registry.verify import anchor_problems, load_public_key, verify_registry
from tests.conftest import make_cli
from tests.support.people import password


@pytest.fixture
def exported(services, team, tmp_path):
    """One SOP drafted by the author, approved by its owner and exported by the approver."""
    services.signoff.create_draft(team.author, make_draft(sop=complete_sop()))
    services.signoff.submit(team.author, "d-0001", owner_login="dana")
    services.signoff.sign(team.approver, "d-0001", "approved", confirm=True, proof=PasswordProof(password("dana")))
    registry = tmp_path / "reg"
    return services.signoff.export(team.approver, "d-0001", registry_dir=registry, git_commit=False), registry


def test_an_exported_registry_verifies_offline(exported):
    result, registry = exported
    report = verify_registry(registry)
    assert report.ok and (report.versions, report.signatures) == (1, 1), report.problems
    data = json.loads(next(f for f in result.files if f.suffix == ".json").read_text(encoding="utf-8"))
    assert data["signatures"][0]["record"]["signer_name"] == "Dana Reyes"


def test_an_edited_file_or_manifest_fails_verification(exported, services):
    result, registry = exported
    md = next(f for f in result.files if f.suffix == ".md")
    md.write_text(md.read_text(encoding="utf-8").replace("one business day", "one week"), encoding="utf-8")
    assert any("differs from the signed manifest" in p for p in verify_registry(registry).problems)
    manifest = json.loads(result.manifest.read_text(encoding="utf-8"))
    manifest["signatures"][0]["record"]["signer_name"] = "Someone Else"
    result.manifest.write_text(json.dumps(manifest), encoding="utf-8")
    assert any("manifest.json: signature does not verify" in p for p in verify_registry(registry).problems)
    cli = make_cli(services, registry_cmd)
    out = cli("verify", registry)
    assert out.exit_code == 1 and "REGISTRY DOES NOT VERIFY" in out.stdout


def test_a_signature_moved_edited_or_made_with_another_key_is_caught(exported, services):
    result, registry = exported
    record = services.store.get_draft("d-0001")
    [signature] = services.store.signatures("d-0001", record.version)
    public = load_public_key(registry)
    content = record.draft.sop.content_hash()
    assert signature_problem(signature, public, draft_id="d-0001", version=record.version, content_hash=content) is None
    assert "moved" in signature_problem(signature, public, draft_id="d-0001", version=record.version + 1,
                                        content_hash=content)
    edited = Signature(record=signature.record.model_copy(update={"signer_name": "Chris Mbeki"}),
                       signature=signature.signature)
    assert "does not verify" in signature_problem(edited, public, draft_id="d-0001", version=record.version,
                                                  content_hash=content)
    attacker = RegistryKey.load_or_create(registry.parent / "attacker-keys")
    copied = make_signature(attacker, signature.record)  # claims the registry's key id
    assert "does not verify" in signature_problem(copied, public, draft_id="d-0001", version=record.version,
                                                  content_hash=content)
    own = make_signature(attacker, signature.record.model_copy(update={"key_id": attacker.fingerprint()}))
    assert "another key" in signature_problem(own, public, draft_id="d-0001", version=record.version,
                                              content_hash=content)


def test_a_signature_inserted_into_the_database_does_not_count(services, team):
    services.signoff.create_draft(team.author, make_draft(sop=complete_sop()))
    record = services.signoff.submit(team.author, "d-0001", owner_login="dana")
    real = make_signature(services.registry_key, _record(record, services, team))
    forged = make_signature(RegistryKey.load_or_create(services.settings.data_dir / "attacker"), real.record)
    conn = bypass_protection(services.store)
    conn.execute("INSERT INTO signatures (draft_id, version, meaning, signer_id, record_json, signature) "
                 "VALUES (?, ?, 'approved', ?, ?, ?)", ("d-0001", record.version, team.approver.user.user_id,
                                                        forged.record.model_dump_json(), forged.signature))
    assert services.signoff.signatures(services.store.get_draft("d-0001")) == []


def _record(record, services, team):
    from app.registry.records import SignatureRecord
    from app.registry.store import utcnow

    return SignatureRecord(draft_id="d-0001", version=record.version, sop_id="SOP-0001", meaning="approved",
                           signer_id=team.approver.user.user_id, signer_name="Dana Reyes", signed_at=utcnow(),
                           content_hash=record.draft.sop.content_hash(), key_id=services.registry_key.fingerprint(),
                           auth_method="password")


def _rewrite_history(store, key) -> None:
    """Change an old audit row and recompute every link after it, as someone with database access would."""
    conn = bypass_protection(store)
    rows = conn.execute("SELECT seq, at, actor, action, draft_id, version, details_json, actor_name, chain "
                        "FROM audit ORDER BY seq").fetchall()
    prev = chain.GENESIS
    for seq, at, actor, action, draft_id, version, details_json, actor_name, kind in rows:
        details = json.loads(details_json)
        if action == "user_created" and details.get("login") == "dana":
            details["full_name"] = "Mallory Vance"
        keyed = kind == chain.KEYED and key is not None
        row = chain.audit_row(seq, at, actor, action, draft_id, version, details, actor_name if keyed else None)
        digest = chain.row_hash(prev, row, key if keyed else None)
        conn.execute("UPDATE audit SET details_json = ?, prev_hash = ?, hash = ?, chain = ? WHERE seq = ?",
                     (chain.canonical_json(details), prev, digest, kind if keyed else chain.PLAIN, seq))
        prev = digest
    conn.execute("UPDATE audit_head SET hash = ?", (prev,))
    restore_protection(conn)


def test_history_rewritten_without_the_key_is_caught(exported, services):
    _rewrite_history(services.store, key=None)  # re-linked with plain SHA-256: no registry key
    problems = services.store.verify_audit().problems
    assert any("unkeyed, but the chain is keyed" in p for p in problems)


def test_history_rewritten_with_the_key_is_caught_by_the_registry_anchor(exported, services):
    _, registry = exported
    _rewrite_history(services.store, key=services.registry_key)
    assert services.store.verify_audit().ok  # the database alone cannot tell ...
    assert anchor_problems(registry, services.store.audit_row_hash)  # ... the exported anchor can
    out = make_cli(services, registry_cmd)("audit", "verify", "--registry", registry)
    assert out.exit_code == 1 and "history was rewritten after that export" in " ".join(out.stdout.split())
