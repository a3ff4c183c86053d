"""Every ``sopdraft`` command given bad input: one ``error:`` line, a non-zero exit, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli.main import build_app

BAD_INPUT = [
    ["ingest"], ["ingest", "{tmp}/afile", "--format", "xml"], ["search"], ["search", "x", "--k", "0"],
    ["draft"], ["draft", "a task"], ["regenerate", "nope", "steps", "--author", "Ana Lopez"], ["regenerate", "nope"],
    ["critique"], ["critique", "nope"], ["critique", "{tmp}/afile"], ["critique", "nope", "--today", "x"],
    ["history", "nope"], ["diff", "nope"], ["diff", "nope", "--approved"], ["diff", "nope", "--to", "x"],
    ["submit", "nope", "--by", "Ana Lopez"], ["submit", "nope"], ["waive", "nope", "f", "--reason", "r", "--by", "A B"],
    ["approve", "nope"], ["export", "nope"], ["due", "--within", "-1"], ["due", "--today", "x"],
    ["audit", "show", "--limit", "0"], ["audit", "nope"], ["log", "--limit", "0"], ["ui", "--host", "0.0.0.0"],
    ["ui", "--port", "0"], ["model", "nope"], ["nosuchcommand"], ["--nosuchoption"],
    ["login"], ["login", "nobody", "--password-stdin"], ["user", "add", "x"], ["user", "roles", "x"],
    ["token", "create", "--expires", "soon"], ["token", "revoke", "t-x"], ["whoami"], ["logout", "x"],
    ["sign", "nope", "--meaning", "x"], ["approve", "nope", "--owner", "Dana Reyes"], ["owner", "nope"],
    ["verify", "{tmp}/afile"], ["audit", "verify", "--registry", "{tmp}/afile"],
    ["--data-dir", "{tmp}/afile", "drafts"], ["--data-dir", "{tmp}/afile/sub", "ingest", "{tmp}/afile"],
]


def _run(tmp_path: Path, args: list[str]):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if args[0] != "--data-dir":
        args = ["--data-dir", str(tmp_path / "data"), *args]
    return CliRunner().invoke(build_app(), args)


def _assert_one_line_error(result) -> None:  # noqa: ANN001 - click's Result
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines


@pytest.fixture(autouse=True)
def _fake_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOPDRAFT_LLM__PROVIDER", "fake")
    (tmp_path / "afile").write_text("not a folder\n")


@pytest.mark.parametrize("args", BAD_INPUT, ids=" ".join)
def test_bad_input_to_any_command_is_one_error_line(tmp_path: Path, args: list[str]) -> None:
    _assert_one_line_error(_run(tmp_path, args))


@pytest.mark.parametrize("registry", ["{tmp}/afile", "{tmp}/afile/sub", "/proc", "/", "{tmp}/full"])
def test_export_to_a_bad_registry_is_one_error_line(tmp_path: Path, registry: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from app.auth.accounts import Accounts
    from app.auth.passwords import make_hasher
    from app.registry.keys import RegistryKey
    from app.registry.store import Store
    from tests.registry.registry_helpers import ANA, approve_latest, make_draft

    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.md").write_text("someone else's\n")
    _run(tmp_path, ["drafts"])  # creates the data dir and the store
    key = RegistryKey.load_or_create(tmp_path / "data" / "keys")
    store = Store(tmp_path / "data" / "sopdraft.db", key=key)
    accounts = Accounts(store, hasher=make_hasher(1, 64, 1))
    accounts.add_user(None, login="dana", full_name="Dana Reyes", roles=["admin", "approver"],
                      password="correct-horse-battery-4")
    identity = accounts.authenticate("dana", "correct-horse-battery-4")
    monkeypatch.setenv("SOPDRAFT_TOKEN", accounts.issue_token(identity, kind="api", ttl=timedelta(hours=1))[1])
    store.create_draft(make_draft(), actor=ANA)
    approve_latest(store, key=key)
    store.close()
    result = _run(tmp_path, ["export", "d-0001", "--no-git", "--registry", registry])
    _assert_one_line_error(result)
    assert not Path("/index.json").exists()


def test_an_unexpected_failure_is_one_line_and_logged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.registry.store import Store

    def broken(self):  # noqa: ANN001, ANN202 - stands for any bug below a command
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(Store, "list_drafts", broken)
    result = _run(tmp_path, ["drafts"])
    _assert_one_line_error(result)
    assert "unexpected ZeroDivisionError" in result.stderr
    assert "Traceback" in (tmp_path / "data" / "logs" / "sopdraft.log").read_text(encoding="utf-8")
