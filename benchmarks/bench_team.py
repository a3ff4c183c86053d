"""A team on one PostgreSQL store: two UI-equivalent processes, simulated signed-in users, faults.

Starts a throw-away PostgreSQL cluster (``tests/support/postgres.py``; ``make pg-deps``),
creates the team's accounts, then runs ``--processes`` worker processes (each what one
``sopdraft ui`` process does: one ``Services`` shared by its sessions), each with
``--users`` threads for ``--seconds``. Every user loops: create a draft, edit it (sometimes
from a stale version, as two reviewers do), waive a finding, submit it to an approver, who
approves it with a password and exports it. Midway one worker process is killed (SIGKILL)
and started again, and the PostgreSQL server is killed (immediate stop) and restarted.

Printed: actions per second, p50/p95 per action, conflicts (expected: stale edits are
refused with a diff), clear errors during the outage, lost updates (a save that returned a
version which is not stored with that content; must be 0), audit chain problems (0),
unexpected errors (0). Argon2 runs with cheap test settings, so signing measures the store,
not the password hash.

    .venv/bin/python benchmarks/bench_team.py [--seconds 120] [--processes 2] [--users 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "registry"))

from app.auth.accounts import AuthError  # noqa: E402
from app.registry.errors import ConflictError, RegistryError  # noqa: E402
from app.registry.signoff import PasswordProof  # noqa: E402
from app.services import Services  # noqa: E402
from app.settings import AuthSettings, LLMSettings, RegistrySettings, Settings  # noqa: E402

BENCH_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1, lockout_attempts=1000)
APPROVERS = ("dana", "omar")
PASSWORD = "correct-horse-battery-staple-{}"  # formatted with a number, never the login
SURNAMES = ("Lopez", "Okafor", "Reyes", "Nakamura", "Schmidt", "Haddad", "Kowalski", "Mensah", "Larsen", "Costa")
FIRST_NAMES = ("Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas")


def password(login: str) -> str:
    """The bench password of ``login``."""
    return PASSWORD.format(sum(map(ord, login)) * 7919)


def settings_for(data_dir: Path, url: str) -> Settings:
    """What every worker process runs with: one data dir (registry key), one database."""
    return Settings(data_dir=data_dir, llm=LLMSettings(provider="fake"), auth=BENCH_AUTH,
                    registry=RegistrySettings(database_url=url, git_commit=False, database_timeout_s=5))


def create_team(settings: Settings, users: int) -> list[str]:
    """An admin, the approvers and one author-reviewer per simulated user; returns the author logins."""
    svc = Services(settings)
    accounts = svc.accounts
    accounts.add_user(None, login="admin", full_name="Alex Morgan", roles=["admin"], password=password("admin"))
    admin = accounts.authenticate("admin", password("admin"))
    for n, login in enumerate(APPROVERS):
        accounts.add_user(admin, login=login, full_name=f"{FIRST_NAMES[-1 - n]} {SURNAMES[-1 - n]}",
                          roles=["approver"], password=password(login))
    authors = [f"user{n:02d}" for n in range(users * 4)]
    for n, login in enumerate(authors):
        accounts.add_user(admin, login=login, full_name=f"{FIRST_NAMES[n % 10]} {SURNAMES[n // 10 % 10]}",
                          roles=["author", "reviewer"], password=password(login))
    svc.close()
    return authors


class Journal:
    """What a worker's users did, one JSON line per event, flushed at once (a killed worker keeps its lines)."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def write(self, kind: str, *values: object) -> None:
        """Append one event."""
        with self._lock:
            self._file.write(json.dumps([kind, *values]) + "\n")

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def _timed(log: Journal, action: str, call, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    started = time.perf_counter()
    try:
        result = call(*args, **kwargs)
    except ConflictError:
        log.write("action", action, time.perf_counter() - started, "conflict")
        return None
    except (RegistryError, AuthError) as exc:
        kind = "unavailable" if "registry database" in str(exc) else "refused"
        log.write("action", action, time.perf_counter() - started, kind, str(exc)[:100])
        return None
    except Exception as exc:  # noqa: BLE001 - counted, printed at the end
        log.write("action", action, time.perf_counter() - started, f"error: {type(exc).__name__}: {str(exc)[:120]}")
        return None
    log.write("action", action, time.perf_counter() - started, "ok")
    return result


def user_loop(svc: Services, login: str, deadline: float, log: Journal, registry: Path) -> None:
    """One signed-in user drafting, editing, waiving, submitting; the owner approves and exports."""
    from registry_helpers import complete_sop, make_draft

    from app.models import Statement

    rng = random.Random(login)
    me = None
    n = 0
    while time.monotonic() < deadline:
        me = me or _timed(log, "sign-in", svc.accounts.authenticate, login, password(login))
        if me is None:
            time.sleep(0.5)
            continue
        n += 1
        draft_id = f"{login}-{os.getpid()}-{n}"
        record = _timed(log, "create", svc.signoff.create_draft, me, make_draft(draft_id, complete_sop(f"SOP {draft_id}", sop_id="")))
        if record is None:
            time.sleep(0.5)
            continue
        for edit in range(rng.randint(1, 3)):
            stale = edit and rng.random() < 0.3  # a second reviewer working from an older version
            base = record.version - 1 if stale and record.version > 1 else record.version
            text = f"Edit {edit} by {login} at {time.time_ns()}."
            sop = record.draft.sop.model_copy(update={"purpose": [Statement(text=text, citations=["3fa9c1d2e4b5"])]})
            saved = _timed(log, "edit", svc.signoff.edit, me, draft_id, sop, reason="bench edit", expected_version=base)
            if saved is not None:
                log.write("saved", draft_id, saved.version, saved.draft.sop.content_hash())
                record = saved
        flags = (_timed(log, "read", svc.signoff.blockers, record) or []) if rng.random() < 0.5 else []
        for flag in flags[:1]:
            _timed(log, "waive", svc.signoff.waive, me, draft_id, flag.flag_id,
                   reason="Covered by the team checklist, which a second reader signs for every SOP.")
        owner = rng.choice(APPROVERS)
        if _timed(log, "submit", svc.signoff.submit, me, draft_id, owner_login=owner) is None:
            continue
        approver = _timed(log, "sign-in", svc.accounts.authenticate, owner, password(owner))
        if approver is None:
            continue
        approved = _timed(log, "approve", svc.signoff.sign, approver, draft_id, "approved", confirm=True,
                          proof=PasswordProof(password(owner)))
        if approved is not None and rng.random() < 0.5:
            _timed(log, "export", svc.signoff.export, approver, draft_id, registry_dir=registry, git_commit=False)


def worker(settings: Settings, logins: list[str], seconds: float, out: Path) -> None:
    """One UI-equivalent process: one Services, one thread per signed-in user."""
    svc = Services(settings)
    deadline = time.monotonic() + seconds
    log = Journal(out)
    threads = [threading.Thread(target=user_loop, args=(svc, login, deadline, log, settings.data_dir / "registry"))
               for login in logins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    svc.close()
    log.close()


def concurrent_drafts(settings: Settings, n: int, login: str, results: list) -> None:
    """``n`` drafts at once from ``n`` services (as ``n`` UI sessions of different processes would),
    against a fake model that takes 0.5 s per call: they must queue, be told so, and all succeed."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    from benchmarks.drafts_at_once import draft_at_once
    from tests.support.drafting import canned_sop_reply

    class SlowModel(GenericFakeChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # noqa: ANN001, ANN003, ANN202
            time.sleep(0.5)
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=canned_sop_reply()))])

    draft_at_once(lambda: Services(settings, chat_model=SlowModel(messages=iter([]))), n, login, password(login),
                  results)


def main() -> None:
    """Run the team, the faults, then check what the store holds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--users", type=int, default=10, help="simulated users per process")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--drafts", type=int, default=5, help="concurrent drafts (fake model, 0.5 s per call) at 5 s")
    args = parser.parse_args()
    from tests.support.postgres import PgCluster

    cluster = PgCluster()
    tmp = Path(tempfile.mkdtemp(prefix="bench-team-"))
    try:
        settings = settings_for(tmp / "data", cluster.create_database())
        authors = create_team(settings, args.users)
        index_svc = Services(settings)
        index_svc.index.ingest([ROOT / "examples"])
        index_svc.close()
        ctx = multiprocessing.get_context("spawn")
        groups = [authors[i * args.users:(i + 1) * args.users] for i in range(args.processes)]
        procs = [ctx.Process(target=worker, args=(settings, g, args.seconds, tmp / f"out-{i}.jsonl"))
                 for i, g in enumerate(groups)]
        started = time.monotonic()
        for proc in procs:
            proc.start()
        faults: list[str] = []
        drafts: list = []
        drafter = threading.Timer(5, concurrent_drafts, args=(settings, args.drafts, authors[-1], drafts))
        if args.drafts:
            drafter.start()
        if not args.no_faults:
            time.sleep(args.seconds / 3)
            procs[0].kill()
            procs[0].join()
            faults.append(f"killed worker 0 at {time.monotonic() - started:.0f} s")
            spare = authors[args.processes * args.users:][:args.users]  # the killed process's users sign in again
            procs.append(ctx.Process(target=worker, args=(settings, spare, args.seconds * 2 / 3,
                                                          tmp / "out-restarted.jsonl")))
            procs[-1].start()
            time.sleep(args.seconds / 6)
            cluster.stop("immediate")
            down = time.monotonic()
            time.sleep(3)
            cluster.start()
            faults.append(f"PostgreSQL killed at {down - started:.0f} s, back after {time.monotonic() - down:.1f} s")
        for proc in procs:
            proc.join()
        elapsed = time.monotonic() - started
        if args.drafts:
            drafter.join()
        report(tmp, settings, elapsed, faults)
        if args.drafts:
            ok = [d for d in drafts if d[0] == "ok"]
            print(f"{args.drafts} concurrent drafts (fake model, 0.5 s per call, llm.drafts_at_once 1): {len(ok)} ok, "
                  f"{len(drafts) - len(ok)} failed; seconds each {sorted(round(d[1], 1) for d in drafts)}; "
                  f"most drafts ahead seen {max((d[2] for d in drafts), default=0)}")
            for failed in (d for d in drafts if d[0] != "ok"):
                print("  ", failed[0])
    finally:
        cluster.close()


def report(tmp: Path, settings: Settings, elapsed: float, faults: list[str]) -> None:
    """Per-action figures, and what the store holds against what the clients were told."""
    log, saves = [], []
    for out in sorted(tmp.glob("out-*.jsonl")):  # the killed worker's lines up to its death included
        for line in out.read_text(encoding="utf-8").splitlines():
            try:
                kind, *values = json.loads(line)
            except ValueError:
                continue  # the line the kill cut short
            (log if kind == "action" else saves).append(values)
    svc = Services(settings)
    stored = {(d, v): h for d, v, h in (
        (r[0], r[1], r[2]) for r in svc.store.read("SELECT draft_id, version, content_hash FROM versions"))}
    lost = [s for s in saves if stored.get((s[0], s[1])) != s[2]]
    audit = svc.store.verify_audit()
    svc.close()
    ok = [entry for entry in log if entry[2] == "ok"]
    print(f"{len(ok)} actions ok in {elapsed:.0f} s = {len(ok) / elapsed:.1f} actions/s; " + "; ".join(faults))
    print(f"{'action':8} {'ok':>5} {'p50 ms':>7} {'p95 ms':>7} {'conflict':>8} {'outage':>6} {'refused':>7} {'error':>5}")
    for action in ("sign-in", "create", "read", "edit", "waive", "submit", "approve", "export"):
        rows = [e for e in log if e[0] == action]
        times = sorted(e[1] * 1000 for e in rows if e[2] == "ok")
        p50 = statistics.median(times) if times else 0.0
        p95 = times[int(0.95 * (len(times) - 1))] if times else 0.0
        count = {kind: sum(e[2] == kind for e in rows) for kind in ("ok", "conflict", "unavailable", "refused")}
        errors = sum(e[2].startswith("error") for e in rows)
        print(f"{action:8} {count['ok']:5} {p50:7.1f} {p95:7.1f} {count['conflict']:8} {count['unavailable']:6} "
              f"{count['refused']:7} {errors:5}")
    refused = sorted({f"{e[0]}: {e[3]}" for e in log if e[2] == "refused" and len(e) > 3})
    for line in refused[:5]:
        print("  refused (the rules working, e.g. an approval before the edit it raced):", line)
    unexpected = sorted({e[2] for e in log if e[2].startswith("error")})
    print(f"lost updates: {len(lost)} of {len(saves)} saves; audit chain: {'ok' if audit.ok else audit.problems[:3]} "
          f"({audit.entries} entries); unexpected errors: {len(unexpected)}")
    for line in unexpected[:5]:
        print("  ", line)


if __name__ == "__main__":
    main()
