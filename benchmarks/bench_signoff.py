"""Sign-off costs: Argon2id password checks, signing, and offline verification of a 500-SOP registry.

  (a) password: Argon2id verify with the shipped parameters (t=3, 64 MiB, p=4) vs. OWASP's
                minimum (t=2, 19 MiB, p=1) as the baseline, median of N, in this run
  (b) sign:     SignoffService.sign('approved') end to end (re-authentication, critique,
                approved version, signature, audit) vs. the bare Ed25519 signature inside it
  (c) verify:   verify_registry over N exported SOPs (manifest signature, each file's sha256,
                the SOP's content hash, every signature) vs. a baseline that only reads and
                SHA-256-hashes the same files

Usage: .venv/bin/python benchmarks/bench_signoff.py [--sops 500] [--rounds 7]
Targets: (a) 0.1-1 s per check on 2 cores (slow enough to resist guessing, fast enough to sign);
(b) <= 2 s per signature; (c) >= 100 SOPs/s.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "registry"))

from registry_helpers import complete_sop, make_draft  # noqa: E402 - after the path setup

from app.auth.passwords import make_hasher  # noqa: E402
from app.registry.signoff import PasswordProof  # noqa: E402
from app.services import Services  # noqa: E402
from app.settings import AuthSettings, LLMSettings, RegistrySettings, Settings  # noqa: E402
from tests.support.people import add_team, password  # noqa: E402


def _median(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_passwords(rounds: int) -> tuple[float, float]:
    """(shipped, OWASP minimum) seconds per Argon2id verification."""
    out = []
    for hasher in (make_hasher(3, 65536, 4), make_hasher(2, 19456, 1)):
        stored = hasher.hash("correct-horse-battery-1")
        out.append(_median(lambda h=hasher, s=stored: h.verify(s, "correct-horse-battery-1"), rounds))
    return out[0], out[1]


def _services(root: Path, **auth) -> Services:
    return Services(Settings(data_dir=root, llm=LLMSettings(provider="fake"), auth=AuthSettings(**auth),
                             registry=RegistrySettings(formats=["md", "json"], git_commit=False)))


def bench_sign(root: Path, rounds: int) -> tuple[float, float]:
    """(SignoffService.sign, bare Ed25519 sign) seconds, with the shipped Argon2 parameters."""
    services = _services(root / "sign")
    team = add_team(services)
    times = []
    for n in range(rounds):
        draft_id = f"d-{n:04d}"
        services.signoff.create_draft(team.author, make_draft(draft_id, complete_sop(sop_id=f"SOP-{n:04d}")))
        services.signoff.submit(team.author, draft_id, owner_login="dana")
        start = time.perf_counter()
        services.signoff.sign(team.approver, draft_id, "approved", confirm=True, proof=PasswordProof(password("dana")))
        times.append(time.perf_counter() - start)
    key = services.registry_key
    bare = _median(lambda: key.sign(b"x" * 400), rounds)
    services.close()
    return statistics.median(times), bare


def build_registry(root: Path, count: int) -> Path:
    """A registry of ``count`` approved, signed and exported SOPs (cheap Argon2: only signing is built here)."""
    services = _services(root / "many", argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1)
    team = add_team(services)
    registry = root / "registry"
    for n in range(count):
        draft_id = f"d-{n:04d}"
        services.signoff.create_draft(team.author, make_draft(draft_id, complete_sop(title=f"SOP number {n}",
                                                                                      sop_id=f"SOP-{n:04d}")))
        services.signoff.submit(team.author, draft_id, owner_login="dana")
        services.signoff.sign(team.approver, draft_id, "approved", confirm=True, proof=PasswordProof(password("dana")))
        services.signoff.export(team.approver, draft_id, registry_dir=registry)
    services.close()
    return registry


def _hash_only(registry: Path) -> int:
    count = 0
    for path in registry.rglob("*"):
        if path.is_file() and path.suffix in (".md", ".json"):
            hashlib.sha256(path.read_bytes()).hexdigest()
            count += 1
    return count


def main() -> None:
    """Run every measurement and print figures against the same-run baselines."""
    from app.registry.verify import verify_registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sops", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    ours, base = bench_passwords(args.rounds)
    print(f"(a) password check: {ours * 1000:.0f} ms (t=3, 64 MiB, p=4) vs OWASP minimum {base * 1000:.0f} ms "
          f"(t=2, 19 MiB, p=1)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sign, bare = bench_sign(root, args.rounds)
        print(f"(b) sign 'approved': {sign * 1000:.0f} ms end to end vs {bare * 1000:.2f} ms for the Ed25519 "
              "signature alone")
        start = time.perf_counter()
        registry = build_registry(root, args.sops)
        print(f"    (built {args.sops} signed exports in {time.perf_counter() - start:.0f} s)")
        start = time.perf_counter()
        report = verify_registry(registry)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        files = _hash_only(registry)
        base = time.perf_counter() - start
        print(f"(c) verify: {report.versions} SOPs, {report.signatures} signatures, ok={report.ok} in {ours:.2f} s "
              f"({report.versions / ours:,.0f} SOPs/s) vs {base:.2f} s to read and hash the {files} files alone")


if __name__ == "__main__":
    main()
