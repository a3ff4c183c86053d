"""Builders shared by the registry tests: a realistic SOP and draft, critique-like flags."""

from __future__ import annotations

import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.models import (
    SOP,
    ChunkRef,
    DataRules,
    Draft,
    Escalation,
    Flag,
    Metadata,
    Record,
    Role,
    Scope,
    Statement,
    Step,
    Tool,
)
from app.registry.keys import RegistryKey
from app.registry.records import Actor, SignatureRecord
from app.registry.signatures import make_signature
from app.registry.store import utcnow

OWNER = "Dana Reyes"
ROLE = "Operations Manager"
ANA = Actor(id="u-ana", name="Ana Lopez")
BEN = Actor(id="u-ben", name="Ben Okafor")
DANA = Actor(id="u-dana", name=OWNER)
TEST_KEY = RegistryKey(Ed25519PrivateKey.generate())  # a throw-away registry key for store-level tests


def make_sop(title: str = "Summarise internal meetings with AI", sop_id: str = "SOP-0001") -> SOP:
    """A small SOP that fills every kind of section (bullets, tables, sub-sections)."""
    cite = ["3fa9c1d2e4b5"]
    return SOP(
        title=title,
        metadata=Metadata(sop_id=sop_id, review_cadence_months=6),
        purpose=[Statement(text="Produce an accurate summary of internal meetings within one business day.",
                           citations=cite)],
        roles=[Role(role="Meeting organiser", responsibility="Runs the procedure | end to end", citations=cite)],
        trigger=[Statement(text="An internal meeting has ended.", citations=cite)],
        approved_tools=[Tool(name="Microsoft Copilot (enterprise tenant)", use="Draft the summary", citations=cite)],
        steps=[Step(actor="Meeting organiser", action="Export the transcript", output="Transcript file",
                    citations=cite),
               Step(actor="Meeting organiser", action="Check the summary\nagainst the transcript",
                    check="Names and numbers match", citations=["3fa9c1d2e4b5", "77aa00bb11cc"])],
        escalation=[Escalation(trigger="the summary contains personal data", route="Data protection officer",
                               timing="within 1 business day", citations=cite)],
        records=[Record(what="final summary", where="Team SharePoint", retention="2 years", citations=cite)],
    )


def complete_sop(title: str = "Summarise internal meetings with AI", sop_id: str = "SOP-0001") -> SOP:
    """:func:`make_sop` with scope, data rules and human review: no blocker once an owner is named."""
    cite = ["3fa9c1d2e4b5"]
    return make_sop(title, sop_id).model_copy(update={
        "scope": Scope(covered=[Statement(text="Internal meetings of the operations team.", citations=cite)]),
        "data_rules": DataRules(prohibited=[Statement(text="Client personal data must not be pasted into the tool.",
                                                      citations=cite)]),
        "human_review": [Statement(text="The meeting organiser checks the summary against the transcript "
                                        "before sending it.", citations=cite)]})


def make_draft(draft_id: str = "d-0001", sop: SOP | None = None) -> Draft:
    """A draft with chunk snapshots for its citations (sources feed drift detection)."""
    chunks = {
        "3fa9c1d2e4b5": ChunkRef(chunk_id="3fa9c1d2e4b5", source="examples/meeting-notes.md",
                                 text="Summaries are due within one business day.", source_sha256="a" * 64),
        "77aa00bb11cc": ChunkRef(chunk_id="77aa00bb11cc", source="examples/checklist.md",
                                 text="Check names and numbers.", source_sha256="b" * 64),
    }
    return Draft(draft_id=draft_id, task="Summarise meetings", sop=sop or make_sop(), chunks=chunks)


def blocker(evidence: str = "as appropriate") -> Flag:
    """A non-advisory blocker like the critique's."""
    return Flag(rule="missing-control", severity="blocker", section="human_review",
                message="No human review step before the summary is sent.", evidence=evidence)


def approve_latest(store, draft_id: str = "d-0001", flags: list[Flag] | None = None, *, approver: Actor = DANA,
                   key: RegistryKey = TEST_KEY, **kwargs):
    """Approve the latest version as owner Dana Reyes (workflow level: no accounts, a test key)."""
    from app.registry.workflow import approve

    def sign(draft: Draft, version: int):
        return make_signature(key, SignatureRecord(
            draft_id=draft_id, version=version, sop_id=draft.sop.metadata.sop_id, meaning="approved",
            signer_id=approver.id, signer_name=approver.name, signed_at=utcnow(), content_hash=draft.sop.content_hash(),
            key_id=key.fingerprint(), auth_method="password"))

    return approve(store, store.get_draft(draft_id), owner=DANA, owner_role=ROLE, approver=approver,
                   flags=flags or [], sign=sign, **kwargs)


def export_latest(store, draft_id: str, registry_dir, *, key: RegistryKey = TEST_KEY, **kwargs):
    """Export an approved version with its stored signatures (workflow level, as the approver)."""
    from app.registry.export import export

    record = store.get_draft(draft_id, kwargs.get("version"))
    return export(store, draft_id, registry_dir, actor=kwargs.pop("actor", DANA), key=key,
                  signatures=store.signatures(draft_id, record.version), **kwargs)


def _triggers(dialect: str) -> list[tuple[str, str, str]]:
    """``(name, table, create statement)`` of every protection trigger of ``dialect``'s schema."""
    from app.registry import postgres, schema

    migrations = postgres.MIGRATIONS if dialect == "postgresql" else schema.MIGRATIONS
    found = []
    for _, statements in migrations:
        for statement in statements:
            match = re.match(r"\s*CREATE TRIGGER (\w+) BEFORE .*? ON (\w+)", statement, re.S)
            if match:
                found.append((match.group(1), match.group(2), statement))
    return found


def bypass_protection(store):
    """Drop the immutability triggers, as someone editing the database by hand would."""
    conn = store._conn()
    for name, table, _ in _triggers(store.dialect):
        conn.execute(f"DROP TRIGGER {name} ON {table}" if store.dialect == "postgresql" else f"DROP TRIGGER {name}")
    return conn


def restore_protection(conn) -> None:  # noqa: ANN001 - the store's connection
    """Recreate the triggers :func:`bypass_protection` dropped (a careful forger covers their tracks)."""
    from app.registry.postgres import PgConnection

    for _, _, statement in _triggers("postgresql" if isinstance(conn, PgConnection) else "sqlite"):
        conn.execute(statement)


def set_json_field(store, table: str, column: str, key: str, value: str) -> None:  # noqa: ANN001 - Store
    """Rewrite one top-level string field of a JSON column in every row (protection must be off)."""
    if store.dialect == "postgresql":
        sql = f"UPDATE {table} SET {column} = jsonb_set({column}::jsonb, '{{{key}}}', to_jsonb(?::text))::text"
    else:
        sql = f"UPDATE {table} SET {column} = json_set({column}, '$.{key}', ?)"
    store._conn().execute(sql, (value,))
