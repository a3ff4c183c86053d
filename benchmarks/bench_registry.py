"""Registry costs: versioned saves with the audit chain, audit verification, and export.

  (a) saves:  Store.save_version (optimistic lock + version row + chained audit row, one
              BEGIN IMMEDIATE transaction) vs. a baseline of plain INSERTs of the same draft
              JSON into a bare WAL table with the same pragmas, measured in this run
  (b) verify: Store.verify_audit over the log that (a) wrote
  (c) export: export() of one approved SOP (Markdown + DOCX + JSON + index, fsynced, temp dir
              + rename) vs. a baseline of writing only the rendered Markdown with open().write()
  (d) races:  two threads saving the same draft with retry-on-conflict: every successful save
              must be a version (no lost update)

Usage: .venv/bin/python benchmarks/bench_registry.py [--saves N] [--exports N]
Targets: (a) >= 500 saves/s (a reviewer saves a few times a minute; the ratio shows the price
of the lock, audit row and validation); (b) >= 5,000 entries/s; (c) <= 0.5 s per export;
(d) versions == successful saves.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "registry"))

from registry_helpers import ANA, approve_latest, export_latest, make_draft  # noqa: E402 - after the path setup

from app.models import Statement  # noqa: E402
from app.registry.errors import ConflictError  # noqa: E402
from app.registry.records import Actor  # noqa: E402
from app.registry.store import Store  # noqa: E402


def bench_saves(store: Store, root: Path, count: int) -> tuple[float, float]:
    """(ours, baseline) saves per second."""
    record = store.create_draft(make_draft(), actor=ANA)
    start = time.perf_counter()
    for n in range(count):
        sop = record.draft.sop.model_copy(update={"trigger": [Statement(text=f"Edit number {n}.")]})
        record = store.save_version("d-0001", record.draft.model_copy(update={"sop": sop}), actor=ANA,
                                    reason=f"edit {n}", expected_version=record.version)
    ours = count / (time.perf_counter() - start)
    conn = sqlite3.connect(root / "baseline.db", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, draft_json TEXT)")
    payload = record.draft.model_dump_json()
    start = time.perf_counter()
    for _ in range(count):
        conn.execute("INSERT INTO v (draft_json) VALUES (?)", (payload,))
    baseline = count / (time.perf_counter() - start)
    conn.close()
    return ours, baseline


def bench_exports(store: Store, root: Path, count: int) -> tuple[float, float]:
    """(ours, baseline) seconds per export."""
    from app.registry.render import front_matter, render_markdown

    rec = approve_latest(store)
    start = time.perf_counter()
    for n in range(count):
        export_latest(store, "d-0001", root / f"reg{n}", git_commit=False)
    ours = (time.perf_counter() - start) / count
    start = time.perf_counter()
    for n in range(count):
        text = render_markdown(rec.draft.sop, front_matter(rec.draft, rec.approval))
        (root / f"plain{n}.md").write_text(text, encoding="utf-8")
    return ours, (time.perf_counter() - start) / count


def bench_races(root: Path, per_thread: int) -> tuple[int, int, int]:
    """(successful saves, conflicts seen, versions stored) for two racing reviewers."""
    store = Store(root / "race.db")
    store.create_draft(make_draft(), actor=ANA)
    saved, conflicts, lock = [0], [0], threading.Lock()

    def reviewer(name: str) -> None:
        done = 0
        while done < per_thread:
            base = store.get_draft("d-0001")
            try:
                store.save_version("d-0001", base.draft, actor=Actor(id=name, name=name), reason="race",
                                   expected_version=base.version)
            except ConflictError:
                with lock:
                    conflicts[0] += 1
                continue
            done += 1
            with lock:
                saved[0] += 1

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in ("Ana Lopez", "Ben Okafor")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    versions = len(store.history("d-0001")) - 1
    store.close()
    return saved[0], conflicts[0], versions


def main() -> None:
    """Run every measurement and print figures against the same-run baselines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--exports", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = Store(root / "bench.db")
        ours, base = bench_saves(store, root, args.saves)
        print(f"(a) saves: {ours:,.0f}/s vs baseline {base:,.0f}/s ({ours / base:.2f}x; target >= 500/s)")
        start = time.perf_counter()
        report = store.verify_audit()
        rate = report.entries / (time.perf_counter() - start)
        print(f"(b) verify_audit: {report.entries} entries, ok={report.ok}, {rate:,.0f} entries/s (target >= 5,000)")
        store.close()
        store = Store(root / "export.db")
        store.create_draft(make_draft(), actor=ANA)
        ours, base = bench_exports(store, root, args.exports)
        print(f"(c) export: {ours * 1000:.0f} ms per SOP (md+docx+json+index) vs baseline {base * 1000:.1f} ms "
              f"for the Markdown alone (target <= 500 ms)")
        store.close()
        saved, conflicts, versions = bench_races(root, 50)
        print(f"(d) races: {saved} saves, {conflicts} conflicts refused, {versions} versions stored "
              f"({'no lost update' if saved == versions else 'LOST UPDATES'})")


if __name__ == "__main__":
    main()
