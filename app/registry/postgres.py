"""The PostgreSQL backend of the registry store (psycopg 3), for a team sharing one registry.

:class:`PgConnection` gives the store the small part of the ``sqlite3`` connection API it
uses (``execute`` returning a cursor, ``in_transaction``, ``close``), so the store's SQL is
written once: ``?`` placeholders and ``json_extract(col, '$.key')`` are translated here.
The schema is the same as SQLite's, step for step, and its guarantees are enforced by the
database itself: PL/pgSQL triggers make the audit log, versions, approvals, waivers and
signatures append-only (TRUNCATE included), and every write transaction takes one advisory
lock first, so two writers are serialised exactly as SQLite's ``BEGIN IMMEDIATE`` does.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.registry.errors import RegistryError

# Arbitrary constants naming sopdraft's advisory locks (one for writes, one for migrations).
WRITE_LOCK = 0x50D_0001
MIGRATE_LOCK = 0x50D_0002
_JSON_EXTRACT = re.compile(r"json_extract\(([\w.]+), '\$\.(\w+)'\)")


class StoreUnavailable(RegistryError):
    """The registry database cannot be reached or refused the connection."""


def is_postgres_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def redacted_url(url: str) -> str:
    """``url`` without its password (for messages and the keyed-audit marker)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[2]}"))


def translate(sql: str, *, bind: bool = True) -> str:
    """SQLite-style SQL as the store writes it, in PostgreSQL's dialect.

    Without ``bind`` (no parameters) the text goes as it is apart from ``json_extract``:
    DDL with ``%`` in PL/pgSQL, ``BEGIN`` …
    """
    sql = _JSON_EXTRACT.sub(r"(\1::jsonb ->> '\2')", sql)
    return sql.replace("%", "%%").replace("?", "%s") if bind else sql


def _text_safe(value: object) -> object:
    # PostgreSQL text cannot hold NUL. Only plain columns (a title, a reason) can carry one; every
    # JSON column escapes it, so the draft itself keeps the character.
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class PgConnection:
    """A psycopg connection in autocommit mode, driven with explicit BEGIN/COMMIT like the SQLite one."""

    def __init__(self, url: str, timeout_s: float) -> None:
        import psycopg

        self.url = url
        self.broken = False
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout_s)),
                                         application_name="sopdraft")
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"cannot reach the registry database {redacted_url(url)}: "
                                   f"{str(exc).strip().splitlines()[0]}") from exc
        # A statement waiting longer than this for a lock fails instead of hanging a UI session.
        self._conn.execute(f"SET lock_timeout = '{int(timeout_s * 1000)}ms'")

    def execute(self, sql: str, params: tuple | list = ()) -> Any:
        """Run one statement; returns the cursor (``fetchone``/``fetchall``/iteration).

        A lost connection (the server restarted, the network dropped) raises
        :class:`StoreUnavailable` and marks this connection broken, so the store opens a new
        one for the next call: a client recovers once the server is back.
        """
        import psycopg

        try:
            if not params:
                return self._conn.execute(translate(sql, bind=False))
            return self._conn.execute(translate(sql), tuple(_text_safe(p) for p in params))
        except psycopg.OperationalError as exc:
            if self._conn.closed or self._conn.broken:
                self.broken = True
                raise StoreUnavailable(f"lost the connection to the registry database {redacted_url(self.url)}: "
                                       f"{str(exc).strip().splitlines()[0] if str(exc).strip() else 'closed'}. "
                                       "Nothing half-done was saved; try again.") from exc
            raise

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""
        from psycopg.pq import TransactionStatus

        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


def begin_write(conn: PgConnection) -> None:
    """Open a write transaction that holds sopdraft's write lock until it ends."""
    conn.execute("BEGIN")
    conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))


def begin_snapshot(conn: PgConnection) -> None:
    """Open a read-only transaction that sees one consistent snapshot."""
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")


_SQLITE_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) BEFORE (UPDATE OF [\w\s,]+?|UPDATE|DELETE) ON (\w+)\s+"
    r"BEGIN SELECT RAISE\(ABORT, '([^']+)'\); END", re.S)
# Column types SQLite spells its own way, in the order they are rewritten.
_TYPES = (
    (re.compile(r"seq INTEGER PRIMARY KEY AUTOINCREMENT"), "seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bid INTEGER PRIMARY KEY(?!\s+CHECK)"), "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"\bseq INTEGER\b"), "seq BIGINT"),
    (re.compile(r"TEXT NOT NULL (UNIQUE )?COLLATE NOCASE"), r"CITEXT NOT NULL \1"),
)
_REFUSE_FUNCTION = """CREATE FUNCTION sopdraft_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; END $$"""


def _pg_statements(statements: tuple[str, ...]) -> list[str]:
    """One SQLite migration step in PostgreSQL: column types rewritten, each ``RAISE(ABORT)``
    trigger as a PL/pgSQL one, and a TRUNCATE guard for every table whose rows may not be deleted."""
    out: list[str] = []
    for statement in statements:
        trigger = _SQLITE_TRIGGER.search(statement)
        if trigger:
            name, event, table, message = trigger.groups()
            event = " ".join(event.split())
            out.append(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION sopdraft_refuse('{message}')")
            if event == "DELETE":
                out.append(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT "
                           f"EXECUTE FUNCTION sopdraft_refuse('{message}')")
            continue
        for pattern, replacement in _TYPES:
            statement = pattern.sub(replacement, statement)
        if "CITEXT" in statement and not any("citext" in s for s in out):
            out.append("CREATE EXTENSION IF NOT EXISTS citext")
        out.append(statement)
    return out


def pg_migrations() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The steps of :data:`app.registry.schema.MIGRATIONS`, in PostgreSQL's dialect (same numbers)."""
    from app.registry.schema import MIGRATIONS as SQLITE_STEPS

    steps = [(description, tuple(_pg_statements(statements))) for description, statements in SQLITE_STEPS]
    first_description, first = steps[0]
    steps[0] = (first_description, (_REFUSE_FUNCTION, *first))
    return tuple(steps)


MIGRATIONS = pg_migrations()

TRUNCATE_TRIGGERS = tuple(re.findall(r"CREATE TRIGGER (\w+_no_truncate)", "\n".join(
    st for _, statements in MIGRATIONS for st in statements)))


def _begin_migration(conn: PgConnection) -> None:
    conn.execute("BEGIN")
    conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATE_LOCK,))


def migrate(conn: PgConnection) -> int:
    """Apply the missing steps in order under an advisory lock (see :func:`app.registry.schema.migrate`)."""
    from app.registry.schema import migrate as apply_steps

    return apply_steps(conn, MIGRATIONS, begin=_begin_migration)


def trigger_names(conn: PgConnection) -> set[str]:
    """Names of the user-defined triggers in the database."""
    return {r[0] for r in conn.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
