"""The store schema as ordered migration steps (``schema_version`` records what ran).

Written in SQLite's dialect; :mod:`app.registry.postgres` translates every step, so both
backends have the same versioned schema.

Append new steps at the end; never edit a step that has shipped.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

_STATUSES = "('draft', 'in_review', 'approved', 'exported', 'superseded')"

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("drafts, versions, waivers, approvals, flags, audit chain", (
        """CREATE TABLE drafts (
            draft_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        f"""CREATE TABLE versions (
            draft_id TEXT NOT NULL REFERENCES drafts(draft_id),
            version INTEGER NOT NULL CHECK (version >= 1),
            status TEXT NOT NULL CHECK (status IN {_STATUSES}),
            sop_id TEXT NOT NULL,
            title TEXT NOT NULL,
            owner TEXT NOT NULL,
            author TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            draft_json TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            PRIMARY KEY (draft_id, version))""",
        "CREATE INDEX versions_by_sop ON versions(sop_id, status)",
        """CREATE TABLE waivers (
            id INTEGER PRIMARY KEY,
            draft_id TEXT NOT NULL REFERENCES drafts(draft_id),
            waiver_json TEXT NOT NULL)""",
        """CREATE TABLE approvals (
            draft_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            sop_id TEXT NOT NULL,
            approved_at TEXT NOT NULL,
            approval_json TEXT NOT NULL,
            PRIMARY KEY (draft_id, version),
            FOREIGN KEY (draft_id, version) REFERENCES versions(draft_id, version))""",
        """CREATE TABLE flags (
            id INTEGER PRIMARY KEY,
            draft_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            origin TEXT NOT NULL,
            flag_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            FOREIGN KEY (draft_id, version) REFERENCES versions(draft_id, version))""",
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            draft_id TEXT NOT NULL,
            version INTEGER,
            details_json TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL)""",
        # The chain head lets verification notice rows cut off the end of the log.
        """CREATE TABLE audit_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL)""",
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    )),
    ("history is immutable: versions, approvals and waivers cannot be changed or deleted", (
        # Only a version's workflow state may change; its content and provenance never do.
        """CREATE TRIGGER versions_immutable BEFORE UPDATE OF draft_id, version, author, reason, created_at,
            draft_json, content_hash, sop_id, title, owner ON versions
            BEGIN SELECT RAISE(ABORT, 'stored versions are immutable; save a new version'); END""",
        """CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
            BEGIN SELECT RAISE(ABORT, 'stored versions are immutable; save a new version'); END""",
        *(f"""CREATE TRIGGER {table}_{verb} BEFORE {event} ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END"""
          for table in ("approvals", "waivers") for verb, event in (("immutable", "UPDATE"), ("no_delete", "DELETE"))),
    )),
    ("accounts, sessions and tokens, owners, electronic signatures; attributed and keyed audit rows", (
        """CREATE TABLE users (
            user_id TEXT PRIMARY KEY,
            login TEXT NOT NULL UNIQUE COLLATE NOCASE,
            full_name TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            job_title TEXT NOT NULL DEFAULT '',
            roles_json TEXT NOT NULL DEFAULT '[]',
            disabled INTEGER NOT NULL DEFAULT 0,
            password_hash TEXT NOT NULL DEFAULT '',
            oidc_issuer TEXT,
            oidc_subject TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL,
            UNIQUE (oidc_issuer, oidc_subject))""",
        """CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY,
            login TEXT NOT NULL COLLATE NOCASE,
            at TEXT NOT NULL,
            ok INTEGER NOT NULL)""",
        "CREATE INDEX login_attempts_by_login ON login_attempts(login, at)",
        """CREATE TABLE tokens (
            token_id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(user_id),
            kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
            secret_sha256 TEXT NOT NULL UNIQUE,
            roles_json TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT)""",
        """CREATE TABLE owners (
            draft_id TEXT PRIMARY KEY REFERENCES drafts(draft_id),
            user_id TEXT NOT NULL REFERENCES users(user_id),
            assigned_at TEXT NOT NULL,
            assigned_by TEXT NOT NULL)""",
        """CREATE TABLE signatures (
            id INTEGER PRIMARY KEY,
            draft_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            meaning TEXT NOT NULL,
            signer_id TEXT NOT NULL,
            record_json TEXT NOT NULL,
            signature TEXT NOT NULL,
            FOREIGN KEY (draft_id, version) REFERENCES versions(draft_id, version))""",
        *(f"""CREATE TRIGGER signatures_{verb} BEFORE {event} ON signatures
            BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END"""
          for verb, event in (("immutable", "UPDATE"), ("no_delete", "DELETE"))),
        "ALTER TABLE versions ADD COLUMN author_id TEXT NOT NULL DEFAULT ''",
        """CREATE TRIGGER versions_author_immutable BEFORE UPDATE OF author_id ON versions
            BEGIN SELECT RAISE(ABORT, 'stored versions are immutable; save a new version'); END""",
        # Rows written before this step have no printed name and a plain SHA-256 link ('sha256');
        # later rows name the user and link with an HMAC under the registry key ('hmac').
        "ALTER TABLE audit ADD COLUMN actor_name TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE audit ADD COLUMN chain TEXT NOT NULL DEFAULT 'sha256'",
        # SOP ids come from this sequence, so two drafts can never be given the same one.
        """CREATE TABLE sop_ids (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            draft_id TEXT NOT NULL UNIQUE,
            sop_id TEXT NOT NULL UNIQUE)""",
    )),
    ("the draft queue: drafts waiting for, or using, the model, seen by every process", (
        # Operational state, not history: rows go when a draft finishes; a row whose heartbeat
        # stopped (its process died) is ignored.
        """CREATE TABLE draft_queue (
            id INTEGER PRIMARY KEY,
            who TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('waiting', 'running')),
            created_at TEXT NOT NULL,
            heartbeat_at TEXT NOT NULL)""",
    )),
)

PROTECTION_TRIGGERS = ("audit_no_update", "audit_no_delete", "versions_immutable", "versions_no_delete",
                       "approvals_immutable", "approvals_no_delete", "waivers_immutable", "waivers_no_delete",
                       "signatures_immutable", "signatures_no_delete", "versions_author_immutable")


def current_version(conn: Any) -> int:
    """The number of migration steps applied to this database (0 for a new file)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                 "description TEXT NOT NULL, applied_at TEXT NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(conn: Any, steps: tuple[tuple[str, tuple[str, ...]], ...] | None = None,
            begin: Callable[[Any], None] | None = None) -> int:
    """Apply the missing steps in order, each in its own transaction; return the schema version.

    ``begin`` opens a transaction that excludes every other migrating process (SQLite's
    ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock); re-reading the version inside it makes
    several processes opening a new database at once apply every step exactly once.
    ``steps`` defaults to :data:`MIGRATIONS` (PostgreSQL passes its translation of them).
    """
    steps = MIGRATIONS if steps is None else steps
    for number, (description, statements) in enumerate(steps, start=1):
        if begin is None:
            conn.execute("BEGIN IMMEDIATE")
        else:
            begin(conn)
        try:
            if current_version(conn) >= number:
                conn.execute("COMMIT")
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)",
                         (number, description, datetime.now(timezone.utc).isoformat()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return len(steps)
