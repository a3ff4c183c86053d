"""The store on both backends: versions, optimistic locking under real concurrency, migrations, audit chain."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest
from registry_helpers import ANA, BEN, approve_latest, bypass_protection, make_draft

from app.models import Statement
from app.registry.errors import ConflictError, NotFound
from app.registry.schema import MIGRATIONS
from app.registry.records import Actor
from app.registry.store import Store

# What a protection trigger raises on each backend.
REFUSED = (sqlite3.IntegrityError, psycopg.IntegrityError)


def test_create_get_list_history(store, created):
    assert (created.version, created.status, created.author) == (1, "draft", "Ana Lopez")
    assert store.get_draft("d-0001").draft.sop == make_draft().sop
    [summary] = store.list_drafts()
    assert (summary.draft_id, summary.sop_id, summary.status, summary.version) == ("d-0001", "SOP-0001", "draft", 1)
    assert [v.version for v in store.history("d-0001")] == [1]
    assert [e.action for e in store.audit_log()] == ["created"]


def test_unknown_draft_raises_not_found_which_is_a_key_error(store):
    with pytest.raises(KeyError):
        store.get_draft("nope")
    with pytest.raises(NotFound, match="nope"):
        store.history("nope")


def test_unknown_version_raises_not_found(store, created):
    for version in (0, 2):
        with pytest.raises(NotFound, match=f"has no version {version}"):
            store.get_draft("d-0001", version)


def test_wal_foreign_keys_and_migrations_recorded_once(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    again = Store(path)  # reopening must not re-run migrations
    conn = again._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert [r[0] for r in conn.execute("SELECT version FROM schema_version")] == list(range(1, len(MIGRATIONS) + 1))
    again.close()


def _legacy_database(path, draft) -> None:
    """A database as sopdraft wrote it before accounts: schema steps 1-2, typed names, plain SHA-256 links."""
    from app.registry import audit as chain
    from app.registry.schema import migrate

    conn = sqlite3.connect(path, isolation_level=None)
    import app.registry.schema as schema

    saved, schema.MIGRATIONS = schema.MIGRATIONS, MIGRATIONS[:2]
    try:
        migrate(conn)
    finally:
        schema.MIGRATIONS = saved
    at, draft_json = "2026-11-01T10:00:00+00:00", draft.model_dump_json()
    details = {"reason": "created", "status": "draft", "content_hash": draft.sop.content_hash(),
               "draft_sha256": chain.sha256_text(draft_json)}
    digest = chain.row_hash(chain.GENESIS, chain.audit_row(1, at, "Ana Lopez", "created", draft.draft_id, 1, details))
    conn.execute("INSERT INTO drafts VALUES (?, ?, ?)", (draft.draft_id, at, at))
    conn.execute("INSERT INTO versions (draft_id, version, status, sop_id, title, owner, author, reason, created_at, "
                 "draft_json, content_hash) VALUES (?, 1, 'draft', ?, ?, '', 'Ana Lopez', 'created', ?, ?, ?)",
                 (draft.draft_id, draft.sop.metadata.sop_id, draft.sop.title, at, draft_json, draft.sop.content_hash()))
    conn.execute("INSERT INTO audit VALUES (1, ?, 'Ana Lopez', 'created', ?, 1, ?, ?, ?)",
                 (at, draft.draft_id, chain.canonical_json(details), chain.GENESIS, digest))
    conn.execute("INSERT INTO audit_head VALUES (1, 1, ?)", (digest,))
    conn.close()


def test_an_older_database_is_migrated_and_its_history_stays_readable(tmp_path):
    from registry_helpers import TEST_KEY

    path = tmp_path / "old.db"
    _legacy_database(path, make_draft())
    new = Store(path, key=TEST_KEY)
    assert new.get_draft("d-0001").version == 1 and new.verify_audit().ok
    new.save_version("d-0001", _edited(new.get_draft("d-0001"), "A later, attributed edit."), actor=ANA,
                     reason="edit", expected_version=1)
    old_row, new_row = sorted(new.audit_log(), key=lambda e: e.seq)
    assert old_row.who == "Ana Lopez (unverified name)" and new_row.who == "Ana Lopez (u-ana)"
    assert new.verify_audit().ok
    with pytest.raises(REFUSED, match="immutable"):
        new._conn().execute("UPDATE versions SET title = 'not any more'")
    new.close()


def _edited(record, text):
    sop = record.draft.sop.model_copy(update={"purpose": [Statement(text=text)]})
    return record.draft.model_copy(update={"sop": sop})


def test_stale_save_conflicts_with_a_section_diff(store, created):
    store.save_version("d-0001", _edited(created, "Reviewer A's purpose."), actor=ANA,
                       reason="tighten purpose", expected_version=1)
    with pytest.raises(ConflictError) as info:
        store.save_version("d-0001", _edited(created, "Reviewer B's purpose."), actor=BEN,
                           reason="other purpose", expected_version=1)
    err = info.value
    assert err.latest_version == 2
    assert [d.section for d in err.diff] == ["purpose"]
    assert "+- Reviewer B's purpose." in err.diff[0].lines and "-- Reviewer A's purpose." in err.diff[0].lines
    assert "Ana Lopez saved v2" in str(err) and "Sections that differ: Purpose." in str(err)
    assert store.get_draft("d-0001").draft.sop.purpose[0].text == "Reviewer A's purpose."


@pytest.mark.parametrize("shared_store", [True, False], ids=["threads-one-store", "two-stores"])
def test_concurrent_edits_never_overwrite(store_location, shared_store):
    first = Store(store_location)
    base = first.create_draft(make_draft(), actor=ANA)
    stores = [first, first if shared_store else Store(store_location)]
    barrier, outcomes = threading.Barrier(2), {}

    def reviewer(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = stores[i].save_version("d-0001", _edited(base, f"Edit by reviewer {i}."),
                                                 actor=Actor(id=f"u-{i}", name=f"Reviewer Number{i}"), reason="edit",
                                                 expected_version=1)
        except ConflictError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    winners = [i for i, o in outcomes.items() if not isinstance(o, ConflictError)]
    losers = [o for o in outcomes.values() if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    assert [v.version for v in first.history("d-0001")] == [1, 2]
    assert first.get_draft("d-0001").draft.sop.purpose[0].text == f"Edit by reviewer {winners[0]}."
    assert losers[0].diff and losers[0].diff[0].section == "purpose"
    for s in set(stores):
        s.close()


def test_audit_chain_verifies_and_rows_cannot_be_updated(store, created):
    report = store.verify_audit()
    assert report.ok and report.entries == 1 and not report.problems
    with pytest.raises(REFUSED, match="append-only"):
        store._conn().execute("UPDATE audit SET actor = 'Mallory Evil'")
    with pytest.raises(REFUSED, match="append-only"):
        store._conn().execute("DELETE FROM audit")


def test_edited_audit_row_is_detected(store, created):
    store.save_version("d-0001", created.draft, actor=ANA, reason="second", expected_version=1)
    conn = bypass_protection(store)
    conn.execute("UPDATE audit SET actor = 'Mallory Evil' WHERE seq = 1")
    problems = " ".join(store.verify_audit().problems)
    assert "audit row 1 (created): content does not match its hash" in problems
    assert "protection trigger audit_no_update was removed" in problems


def test_deleted_audit_rows_are_detected(store, created):
    for n in range(3):
        store.save_version("d-0001", created.draft, actor=ANA, reason=f"save {n}", expected_version=n + 1)
    conn = bypass_protection(store)
    conn.execute("DELETE FROM audit WHERE seq = 2")
    assert any("missing (deleted)" in p for p in store.verify_audit().problems)
    conn.execute("DELETE FROM audit WHERE seq = 4")  # the last row: only the head notices
    assert any("cut off the end" in p for p in store.verify_audit().problems)


def test_versions_approvals_and_waivers_cannot_be_changed(store, created):
    approve_latest(store)
    conn = store._conn()
    for statement in ("UPDATE versions SET draft_json = '{}'", "DELETE FROM versions",
                      "UPDATE approvals SET approval_json = '{}'", "DELETE FROM approvals"):
        with pytest.raises(REFUSED, match="immutable|append-only"):
            conn.execute(statement)
    conn.execute("UPDATE versions SET status = 'exported' WHERE version = 2")  # the workflow state may change


def test_version_content_edited_outside_the_store_is_detected(store, created):
    conn = bypass_protection(store)
    conn.execute("UPDATE versions SET draft_json = replace(draft_json, 'accurate', 'rough')")
    problems = store.verify_audit().problems
    assert "draft d-0001 v1: stored content differs from the audited content" in problems
    assert "protection trigger versions_immutable was removed" in problems


def test_connections_of_finished_threads_are_closed(store, created):
    for _ in range(5):  # like Streamlit reruns: one short-lived thread each
        thread = threading.Thread(target=store.list_drafts)
        thread.start()
        thread.join()
    # each new connection closed the previous, finished thread's one: main + the last remain
    assert len(store._connections) == 2


def test_several_processes_migrating_a_new_database_at_once_apply_each_step_once(store_location):
    """Upgrades: every UI process runs migrations when it starts; they must not trip over each other."""
    import subprocess
    import sys
    from pathlib import Path

    script = ("import sys; from pathlib import Path; from app.registry.store import Store; w = sys.argv[1]; "
              "Store(w if w.startswith('postgresql') else Path(w)).close()")
    where = str(store_location)
    procs = [subprocess.Popen([sys.executable, "-c", script, where], cwd=Path(__file__).resolve().parents[2],
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    store = Store(store_location)
    assert [r[0] for r in store.read("SELECT version FROM schema_version ORDER BY version")] == \
        list(range(1, len(MIGRATIONS) + 1))
    store.close()


def test_truncate_is_refused_too(store_location):
    store = Store(store_location)
    store.create_draft(make_draft(), actor=ANA)
    if store.dialect == "postgresql":
        for table in ("audit", "versions", "approvals", "waivers", "signatures"):
            with pytest.raises(REFUSED, match="append-only|immutable"):
                store._conn().execute(f"TRUNCATE {table} CASCADE")
    else:
        with pytest.raises(REFUSED, match="append-only"):
            store._conn().execute("DELETE FROM audit")  # SQLite has no TRUNCATE; DELETE is what it does
    assert store.verify_audit().ok
    store.close()


def test_an_unreachable_database_is_one_clear_error():
    from app.registry.postgres import StoreUnavailable

    with pytest.raises(StoreUnavailable, match=r"cannot reach the registry database postgresql://x:\*\*\*@127.0.0.1:1/"):
        Store("postgresql://x:secret@127.0.0.1:1/registry", timeout_s=1)


def test_a_database_restart_is_a_clear_error_then_the_store_recovers(pg_cluster, pg_url):
    from app.registry.postgres import StoreUnavailable

    store = Store(pg_url, timeout_s=5)
    created = store.create_draft(make_draft(), actor=ANA)
    pg_cluster.stop("immediate")  # the server dies mid-session
    try:
        with pytest.raises(StoreUnavailable, match="lost the connection"):
            store.save_version("d-0001", _edited(created, "Saved while the server was down."), actor=ANA,
                               reason="edit", expected_version=1)
    finally:
        pg_cluster.start()
    saved = store.save_version("d-0001", _edited(created, "Saved after the restart."), actor=ANA,
                               reason="edit", expected_version=1)  # nothing half-done: v1 is still the latest
    assert saved.version == 2 and store.get_draft("d-0001").draft.sop.purpose[0].text == "Saved after the restart."
    assert store.verify_audit().ok
    store.close()
