"""The SQLite schema as ordered migration steps (``schema_version`` records what ran).

Append new steps at the end; never edit a step that has shipped.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

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
)

PROTECTION_TRIGGERS = ("audit_no_update", "audit_no_delete", "versions_immutable", "versions_no_delete",
                       "approvals_immutable", "approvals_no_delete", "waivers_immutable", "waivers_no_delete")


def current_version(conn: sqlite3.Connection) -> int:
    """The number of migration steps applied to this database (0 for a new file)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                 "description TEXT NOT NULL, applied_at TEXT NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return row[0] or 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the missing steps in order, each in its own transaction; return the schema version.

    ``BEGIN IMMEDIATE`` then re-reading the version makes two processes opening a new
    database at once apply every step exactly once.
    """
    for number, (description, statements) in enumerate(MIGRATIONS, start=1):
        conn.execute("BEGIN IMMEDIATE")
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
    return len(MIGRATIONS)
