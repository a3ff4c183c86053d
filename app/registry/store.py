"""The durable store: drafts, versions, waivers, approvals, flags and the audit chain.

Two backends behind this one class: a SQLite file (the embedded default) or a PostgreSQL
database (``registry.database_url``, :mod:`app.registry.postgres`) for a team. The SQL is
written once; nothing above the store knows which backend it talks to. One connection
per thread (Streamlit runs each script in its own thread). Every write runs in one
serialised transaction (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory write lock)
and appends its audit row in the same transaction, so history and state never disagree.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from pydantic import ValidationError

from app.models import Draft, Flag, SOPStatus
from app.registry import audit as chain
from app.registry.diff import diff_sops, format_diff
from app.registry.errors import ConflictError, IntegrityError, NotFound, RegistryError
from app.registry.records import (
    Actor,
    Approval,
    AuditEntry,
    AuditReport,
    DraftRecord,
    DraftSummary,
    Signature,
    SignatureRecord,
    VersionInfo,
    Waiver,
)
from app.registry import postgres
from app.registry.schema import PROTECTION_TRIGGERS, migrate
from app.registry.validate import check_storable

if TYPE_CHECKING:
    from app.registry.keys import RegistryKey

BUSY_TIMEOUT_MS = 10_000
CURRENT_STATES = ("approved", "exported")  # states in which a version is the SOP in force
_VERSION_COLUMNS = "draft_id, version, status, author, reason, created_at, draft_json, content_hash, author_id"
_AUDIT_COLUMNS = "seq, at, actor, action, draft_id, version, details_json, prev_hash, hash, actor_name, chain"
SOP_ID_FORMAT = "SOP-{:04d}"


def utcnow() -> datetime:
    """Now, timezone-aware UTC (every stored timestamp uses it)."""
    return datetime.now(timezone.utc)


class Store:
    """The store of drafts and their reviewed, approved and exported versions.

    ``location`` is a SQLite file path or a ``postgresql://`` URL. With ``key`` (the
    registry key) every new audit row is linked with an HMAC under it and names its user;
    without one (tests of the store alone) rows get a plain SHA-256 link.
    """

    def __init__(self, location: Path | str, key: "RegistryKey | None" = None, *, timeout_s: float = 10.0) -> None:
        self.dialect = "postgresql" if postgres.is_postgres_url(location) else "sqlite"
        self.url = str(location) if self.dialect == "postgresql" else ""
        self.db_path = Path(location) if self.dialect == "sqlite" else None
        # What the keyed-audit marker (kept beside the key, outside the database) is tied to.
        self.identity: Path | str = self.db_path if self.db_path else postgres.redacted_url(self.url)
        self.key = key
        self.timeout_s = timeout_s
        self._keyed_marked = False
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[tuple[threading.Thread, Any]] = []
        self._closed = False
        if self.db_path:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            migrate(self._conn())
        else:
            postgres.migrate(self._conn())

    def __str__(self) -> str:
        return str(self.identity)

    # -- connections and transactions -------------------------------------------------
    def _conn(self) -> Any:
        """This thread's connection (a ``sqlite3.Connection`` or a :class:`postgres.PgConnection`)."""
        if self._closed:
            raise RegistryError(f"the store {self} is closed")
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(conn, "broken", False):
            conn.close()
            conn = None
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                # Streamlit runs each rerun in a new thread: close what finished threads left open.
                for thread, old in [c for c in self._connections if not c[0].is_alive()]:
                    old.close()
                self._connections = [c for c in self._connections if c[0].is_alive()]
                self._connections.append((threading.current_thread(), conn))
        return conn

    def _connect(self) -> Any:
        if self.dialect == "postgresql":
            return postgres.PgConnection(self.url, self.timeout_s)
        # check_same_thread=False only so close() can close every thread's connection.
        conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A serialised write transaction: committed on success, rolled back on error."""
        conn = self._conn()
        if self.dialect == "postgresql":
            postgres.begin_write(conn)
        else:
            conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if not getattr(conn, "broken", False):  # a lost connection has rolled back already
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[Any]:
        """A consistent read view across several queries (joins an open transaction if there is one)."""
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        if self.dialect == "postgresql":
            postgres.begin_snapshot(conn)
        else:
            conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if not getattr(conn, "broken", False):
                conn.execute("COMMIT")

    def read(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        """The rows of one read-only query (inside the caller's transaction when one is open)."""
        with self.snapshot() as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
        with self._lock:
            self._closed = True
            while self._connections:
                self._connections.pop()[1].close()

    # -- audit --------------------------------------------------------------------------
    def append_audit(self, conn: Any, *, actor: Actor, action: str, draft_id: str = "",
                     version: int | None = None, details: dict[str, Any] | None = None) -> AuditEntry:
        """Append one chained audit row inside the caller's open transaction."""
        head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, chain.GENESIS)
        at = utcnow().isoformat()
        details_json = chain.canonical_json(details or {})
        keyed = self.key is not None
        row = chain.audit_row(seq, at, actor.id, action, draft_id, version, _json_loads(details_json),
                              actor.name if keyed else None)
        digest = chain.row_hash(prev_hash, row, self.key)
        conn.execute(f"INSERT INTO audit ({_AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (seq, at, actor.id, action, draft_id, version, details_json, prev_hash, digest,
                      actor.name if keyed else "", chain.KEYED if keyed else chain.PLAIN))
        conn.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
                     "ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash", (seq, digest))
        if keyed and not self._keyed_marked:  # once per process: the marker never changes once written
            self.key.record_keyed_from(self.identity, seq)
            self._keyed_marked = True
        return AuditEntry(**{**row, "at": at, "actor_name": actor.name if keyed else ""}, prev_hash=prev_hash,
                          hash=digest)

    def audit_log(self, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries, newest first (all of them, or the newest ``limit``)."""
        query = f"SELECT {_AUDIT_COLUMNS} FROM audit ORDER BY seq DESC"
        rows = self.read(query + " LIMIT ?", (limit,)) if limit is not None else self.read(query)
        return [AuditEntry(seq=r[0], at=r[1], actor=r[2], action=r[3], draft_id=r[4], version=r[5],
                           details=_json_loads(r[6]), prev_hash=r[7], hash=r[8], actor_name=r[9]) for r in rows]

    def audit_row_hash(self, seq: int) -> str | None:
        """The stored link of audit row ``seq`` (None if there is no such row)."""
        row = self._conn().execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        return row[0] if row else None

    def audit_head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the newest audit row (``(0, GENESIS)`` for an empty log)."""
        row = self._conn().execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        return (row[0], row[1]) if row else (0, chain.GENESIS)

    def verify_audit(self) -> AuditReport:
        """Check the chain (keyed rows against the registry key), its head, the triggers and every version."""
        with self.snapshot() as conn:
            rows = conn.execute(f"SELECT {_AUDIT_COLUMNS} FROM audit ORDER BY seq").fetchall()
            head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
            keyed_from = self.key.keyed_from(self.identity) if self.key else None
            count, head_hash, problems = chain.verify_chain(rows, tuple(head) if head else None, self.key,
                                                            keyed_from)
            present = self._triggers(conn)
            problems += [f"protection trigger {t} was removed" for t in self._protection_triggers()
                         if t not in present]
            problems += self._check_versions_against_audit(conn, rows)
        return AuditReport(ok=not problems, entries=count, head_hash=head_hash, problems=problems)

    def _protection_triggers(self) -> tuple[str, ...]:
        extra = postgres.TRUNCATE_TRIGGERS if self.dialect == "postgresql" else ()
        return PROTECTION_TRIGGERS + extra

    def _triggers(self, conn: Any) -> set[str]:
        if self.dialect == "postgresql":
            return postgres.trigger_names(conn)
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}

    def _check_versions_against_audit(self, conn: Any, rows: list[tuple]) -> list[str]:
        recorded: dict[tuple[str, int], str] = {}
        approved: dict[tuple[str, int], str] = {}
        for _, _, _, action, draft_id, version, details_json, *_ in rows:
            details = _json_loads(details_json)
            if isinstance(details, dict) and "draft_sha256" in details:
                recorded[(draft_id, version)] = details["draft_sha256"]
            if isinstance(details, dict) and "approval_sha256" in details:
                approved[(draft_id, version)] = details["approval_sha256"]
        problems = []
        for draft_id, version, draft_json in conn.execute("SELECT draft_id, version, draft_json FROM versions"):
            if recorded.get((draft_id, version)) != chain.sha256_text(draft_json):
                problems.append(f"draft {draft_id} v{version}: stored content differs from the audited content")
        for draft_id, version, approval_json in conn.execute(
                "SELECT draft_id, version, approval_json FROM approvals"):
            if approved.get((draft_id, version)) != chain.sha256_text(approval_json):
                problems.append(f"draft {draft_id} v{version}: approval record differs from the audited one")
        return problems

    # -- drafts and versions -------------------------------------------------------------
    def create_draft(self, draft: Draft, *, actor: Actor) -> DraftRecord:
        """Store a new draft as version 1 in state ``draft``; audit ``created``."""
        now = utcnow().isoformat()
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM drafts WHERE draft_id = ?", (draft.draft_id,)).fetchone():
                raise RegistryError(f"draft {draft.draft_id} already exists; save a new version instead")
            conn.execute("INSERT INTO drafts VALUES (?, ?, ?)", (draft.draft_id, now, now))
            self.insert_version(conn, draft, version=1, status="draft", actor=actor,
                                reason="created", action="created")
        return self.get_draft(draft.draft_id, 1)

    def insert_version(self, conn: Any, draft: Draft, *, version: int, status: SOPStatus,
                       actor: Actor, reason: str, action: str, details: dict[str, Any] | None = None) -> None:
        """Insert one version row and its audit entry inside the caller's transaction."""
        draft_json = draft.model_dump_json()
        check_storable(draft.draft_id, draft_json)
        sop, content_hash = draft.sop, draft.sop.content_hash()
        now = utcnow().isoformat()
        conn.execute(f"INSERT INTO versions ({_VERSION_COLUMNS}, sop_id, title, owner) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (draft.draft_id, version, status, actor.name, reason, now, draft_json, content_hash,
                      actor.id, sop.metadata.sop_id, sop.title, sop.metadata.owner_name))
        conn.execute("UPDATE drafts SET updated_at = ? WHERE draft_id = ?", (now, draft.draft_id))
        self.append_audit(conn, actor=actor, action=action, draft_id=draft.draft_id, version=version,
                          details={"reason": reason, "status": status, "content_hash": content_hash,
                                   "draft_sha256": chain.sha256_text(draft_json), **(details or {})})

    def latest_version(self, conn: Any, draft_id: str) -> int:
        """The newest version number of ``draft_id``; raises :class:`NotFound`."""
        row = conn.execute("SELECT MAX(version) FROM versions WHERE draft_id = ?", (draft_id,)).fetchone()
        if row is None or row[0] is None:
            raise NotFound(f"no draft with id {draft_id!r}")
        return row[0]

    def check_expected(self, conn: Any, draft_id: str, draft: Draft, expected_version: int) -> int:
        """Raise :class:`ConflictError` with a section diff unless ``expected_version`` is the latest."""
        latest = self.latest_version(conn, draft_id)
        if latest == expected_version:
            return latest
        theirs = self._record(conn, draft_id, latest)
        diff = diff_sops(theirs.draft.sop, draft.sop, old_label=f"saved v{latest}", new_label="yours")
        titles = ", ".join(d.title for d in diff) or "none"
        raise ConflictError(
            f"draft {draft_id} changed while you edited: you started from v{expected_version}, but "
            f"{theirs.author} saved v{latest} at {theirs.created_at:%Y-%m-%d %H:%M} UTC. Nothing was "
            f"overwritten; merge and save again on v{latest}. Sections that differ: {titles}.\n{format_diff(diff)}",
            diff=diff, latest_version=latest)

    def save_version(self, draft_id: str, draft: Draft, *, actor: Actor, reason: str,
                     expected_version: int) -> DraftRecord:
        """Store an edit as a new version (state ``draft``); optimistic lock on ``expected_version``."""
        if draft.draft_id != draft_id:
            raise RegistryError(f"draft id mismatch: saving {draft.draft_id!r} as {draft_id!r}")
        with self.transaction() as conn:
            latest = self.check_expected(conn, draft_id, draft, expected_version)
            self.insert_version(conn, draft, version=latest + 1, status="draft", actor=actor,
                                reason=reason, action="version_saved")
        return self.get_draft(draft_id, latest + 1)

    def get_draft(self, draft_id: str, version: int | None = None) -> DraftRecord:
        """One version of a draft (the latest if ``version`` is None); raises :class:`NotFound`."""
        with self.snapshot() as conn:
            return self._record(conn, draft_id, self.latest_version(conn, draft_id) if version is None else version)

    def _record(self, conn: Any, draft_id: str, version: int) -> DraftRecord:
        row = conn.execute(f"SELECT {_VERSION_COLUMNS} FROM versions WHERE draft_id = ? AND version = ?",
                           (draft_id, version)).fetchone()
        if row is None:
            raise NotFound(f"draft {draft_id!r} has no version {version}")
        try:
            draft = Draft.model_validate_json(row[6])
        except ValidationError as exc:
            raise IntegrityError(f"draft {draft_id} v{version}: stored content is unreadable ({exc.error_count()} "
                                 "errors); the database was altered outside sopdraft") from exc
        approval = conn.execute("SELECT approval_json FROM approvals WHERE draft_id = ? AND version = ?",
                                (draft_id, version)).fetchone()
        return DraftRecord(draft_id=row[0], version=row[1], status=row[2], author=row[3], reason=row[4],
                           created_at=row[5], draft=draft, author_id=row[8],
                           approval=Approval.model_validate_json(approval[0]) if approval else None,
                           waivers=self._waivers(conn, draft_id), latest_version=self.latest_version(conn, draft_id))

    def list_drafts(self) -> list[DraftSummary]:
        """The latest version of every draft, most recently updated first."""
        rows = self._conn().execute(
            "SELECT v.draft_id, v.sop_id, v.title, v.status, v.version, v.owner, d.updated_at, "
            "json_extract(a.approval_json, '$.next_review_date') "
            "FROM versions v JOIN drafts d ON d.draft_id = v.draft_id "
            "LEFT JOIN approvals a ON a.draft_id = v.draft_id AND a.version = v.version "
            "WHERE v.version = (SELECT MAX(version) FROM versions WHERE draft_id = v.draft_id) "
            "ORDER BY d.updated_at DESC").fetchall()
        return [DraftSummary(draft_id=r[0], sop_id=r[1], title=r[2], status=r[3], version=r[4], owner=r[5],
                             updated_at=r[6], next_review_date=r[7]) for r in rows]

    def history(self, draft_id: str) -> list[VersionInfo]:
        """Every version of a draft, oldest first; raises :class:`NotFound`."""
        conn = self._conn()
        self.latest_version(conn, draft_id)
        rows = conn.execute(
            "SELECT v.version, v.status, v.author, v.reason, v.created_at, v.content_hash, "
            "json_extract(a.approval_json, '$.approver'), v.author_id FROM versions v LEFT JOIN approvals a "
            "ON a.draft_id = v.draft_id AND a.version = v.version WHERE v.draft_id = ? ORDER BY v.version",
            (draft_id,)).fetchall()
        return [VersionInfo(version=r[0], status=r[1], author=r[2], reason=r[3], created_at=r[4],
                            content_hash=r[5], approved_by=r[6] or "", author_id=r[7]) for r in rows]

    # -- state, waivers, approvals, flags --------------------------------------------------
    def set_status(self, conn: Any, draft_id: str, version: int, status: SOPStatus, *,
                   actor: Actor, action: str, details: dict[str, Any] | None = None) -> None:
        """Change one version's state and audit it, inside the caller's transaction."""
        old = conn.execute("SELECT status FROM versions WHERE draft_id = ? AND version = ?",
                           (draft_id, version)).fetchone()
        if old is None:
            raise NotFound(f"draft {draft_id!r} has no version {version}")
        conn.execute("UPDATE versions SET status = ? WHERE draft_id = ? AND version = ?", (status, draft_id, version))
        self.append_audit(conn, actor=actor, action=action, draft_id=draft_id, version=version,
                          details={"from": old[0], "to": status, **(details or {})})

    def add_waiver(self, conn: Any, draft_id: str, waiver: Waiver) -> None:
        """Record a waiver and audit it, inside the caller's transaction."""
        waiver_json = waiver.model_dump_json()
        conn.execute("INSERT INTO waivers (draft_id, waiver_json) VALUES (?, ?)", (draft_id, waiver_json))
        self.append_audit(conn, actor=Actor(id=waiver.author_id, name=waiver.author), action="waived", draft_id=draft_id, version=waiver.version,
                          details=waiver.model_dump(mode="json"))

    def _waivers(self, conn: Any, draft_id: str) -> list[Waiver]:
        rows = conn.execute("SELECT waiver_json FROM waivers WHERE draft_id = ? ORDER BY id", (draft_id,))
        latest = {w.flag_id: w for w in (Waiver.model_validate_json(r[0]) for r in rows)}
        return list(latest.values())

    def add_approval(self, conn: Any, approval: Approval) -> None:
        """Record an approval and audit it (with its hash), inside the caller's transaction."""
        approval_json = approval.model_dump_json()
        conn.execute("INSERT INTO approvals VALUES (?, ?, ?, ?, ?)",
                     (approval.draft_id, approval.version, approval.sop_id, approval.approved_at.isoformat(),
                      approval_json))
        self.append_audit(conn, actor=Actor(id=approval.approver_id, name=approval.approver), action="approved", draft_id=approval.draft_id,
                          version=approval.version,
                          details={"owner": approval.owner_name, "owner_id": approval.owner_id,
                                   "role": approval.owner_role,
                                   "content_hash": approval.content_hash, "doc_version": approval.doc_version,
                                   "waivers": [w.flag_id for w in approval.waivers],
                                   "approval_sha256": chain.sha256_text(approval_json)})

    def audited_approval(self, draft_id: str, version: int) -> dict[str, Any] | None:
        """The details of the ``approved`` audit row of a version (None if it was never approved)."""
        row = self._conn().execute("SELECT details_json FROM audit WHERE action = 'approved' AND draft_id = ? "
                                   "AND version = ? ORDER BY seq DESC LIMIT 1", (draft_id, version)).fetchone()
        return _json_loads(row[0]) if row else None

    def current_records(self, sop_id: str | None = None) -> list[DraftRecord]:
        """Versions in force (approved or exported), newest approval first; optionally of one ``sop_id``."""
        query = ("SELECT v.draft_id, v.version FROM versions v JOIN approvals a ON a.draft_id = v.draft_id "
                 "AND a.version = v.version WHERE v.status IN (?, ?)")
        params: list[Any] = list(CURRENT_STATES)
        if sop_id is not None:
            query += " AND v.sop_id = ?"
            params.append(sop_id)
        with self.snapshot() as conn:
            rows = conn.execute(query + " ORDER BY a.approved_at DESC", params).fetchall()
            return [self._record(conn, d, v) for d, v in rows]

    def current_approved(self, sop_id: str) -> DraftRecord | None:
        """The approved (or exported) version in force for ``sop_id``, if any."""
        if not sop_id:
            return None
        records = self.current_records(sop_id)
        return records[0] if records else None

    def add_flag(self, conn: Any, draft_id: str, version: int, flag: Flag, *, origin: str,
                 actor: Actor, details: dict[str, Any] | None = None) -> None:
        """Attach a flag to a version (e.g. source drift) and audit it, inside the caller's transaction."""
        conn.execute("INSERT INTO flags (draft_id, version, origin, flag_json, created_at) VALUES (?, ?, ?, ?, ?)",
                     (draft_id, version, origin, flag.model_dump_json(), utcnow().isoformat()))
        self.append_audit(conn, actor=actor, action=f"flag_{origin}", draft_id=draft_id, version=version,
                          details={"flag_id": flag.flag_id, "message": flag.message, **(details or {})})

    def flags(self, draft_id: str, version: int, origin: str | None = None) -> list[Flag]:
        """Flags attached to a version after the fact (e.g. ``origin="drift"``)."""
        query, params = "SELECT flag_json FROM flags WHERE draft_id = ? AND version = ?", [draft_id, version]
        if origin is not None:
            query, params = query + " AND origin = ?", params + [origin]
        return [Flag.model_validate_json(r[0]) for r in self._conn().execute(query + " ORDER BY id", params)]

    # -- owners, SOP ids, signatures ---------------------------------------------------------
    def set_owner(self, conn: Any, draft_id: str, user_id: str, *, actor: Actor) -> None:
        """Assign ``user_id`` as the SOP's owner and audit the change, inside the caller's transaction."""
        old = conn.execute("SELECT user_id FROM owners WHERE draft_id = ?", (draft_id,)).fetchone()
        conn.execute("INSERT INTO owners VALUES (?, ?, ?, ?) ON CONFLICT(draft_id) DO UPDATE SET "
                     "user_id = excluded.user_id, assigned_at = excluded.assigned_at, "
                     "assigned_by = excluded.assigned_by", (draft_id, user_id, utcnow().isoformat(), actor.id))
        self.append_audit(conn, actor=actor, action="owner_assigned", draft_id=draft_id,
                          details={"owner_id": user_id, "previous_owner_id": old[0] if old else None})

    def owner_id(self, draft_id: str) -> str | None:
        """The user id of the draft's assigned owner (None when none was assigned)."""
        row = self._conn().execute("SELECT user_id FROM owners WHERE draft_id = ?", (draft_id,)).fetchone()
        return row[0] if row else None

    def allocate_sop_id(self, conn: Any, draft_id: str) -> str:
        """The SOP id of ``draft_id``, drawn from a sequence the first time (ids never collide)."""
        row = conn.execute("SELECT sop_id FROM sop_ids WHERE draft_id = ?", (draft_id,)).fetchone()
        if row:
            return row[0]
        seq = conn.execute("INSERT INTO sop_ids (draft_id, sop_id) VALUES (?, '') RETURNING seq",
                           (draft_id,)).fetchone()[0]
        sop_id = SOP_ID_FORMAT.format(seq)
        if conn.execute("SELECT 1 FROM versions WHERE sop_id = ? AND draft_id != ?", (sop_id, draft_id)).fetchone():
            sop_id = f"{sop_id}-{draft_id[:8]}"  # someone typed this id by hand on another draft
        conn.execute("UPDATE sop_ids SET sop_id = ? WHERE seq = ?", (sop_id, seq))
        return sop_id

    def add_signature(self, conn: Any, signature: Signature) -> None:
        """Record an electronic signature and audit it, inside the caller's transaction."""
        rec = signature.record
        record_json = rec.model_dump_json()
        conn.execute("INSERT INTO signatures (draft_id, version, meaning, signer_id, record_json, signature) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (rec.draft_id, rec.version, rec.meaning, rec.signer_id, record_json, signature.signature))
        self.append_audit(conn, actor=Actor(id=rec.signer_id, name=rec.signer_name), action=f"signed_{rec.meaning}",
                          draft_id=rec.draft_id, version=rec.version,
                          details={"meaning": rec.meaning, "content_hash": rec.content_hash,
                                   "signature": signature.signature, "record_sha256": chain.sha256_text(record_json)})

    def signatures(self, draft_id: str, version: int | None = None) -> list[Signature]:
        """Signatures of a draft (of one version when given), oldest first."""
        query, params = "SELECT record_json, signature FROM signatures WHERE draft_id = ?", [draft_id]
        if version is not None:
            query, params = query + " AND version = ?", params + [version]
        return [Signature(record=SignatureRecord.model_validate_json(r[0]), signature=r[1])
                for r in self._conn().execute(query + " ORDER BY id", params)]


def _json_loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
