"""The registry and sign-in CLI: acting as a signed-in user, one-line errors, JSON, the whole path."""

from __future__ import annotations

import json
import stat

import pytest
from registry_helpers import bypass_protection, complete_sop, make_draft

from app.cli import auth_cmd, registry_cmd, ui_cmd
from tests.conftest import make_cli
from tests.support.people import password

REASON = "Scope is defined by the team charter linked in References, reviewed by the DPO."


@pytest.fixture
def cli(services):
    """Invoke the registry, sign-in and UI commands against the per-test services."""
    return make_cli(services, registry_cmd, auth_cmd, ui_cmd)


@pytest.fixture
def tokens(services, team):
    """An API token per team member (what SOPDRAFT_TOKEN would hold)."""
    from datetime import timedelta

    return {name: services.accounts.issue_token(getattr(team, name), kind="api", ttl=timedelta(days=1))[1]
            for name in ("admin", "author", "reviewer", "approver")}


@pytest.fixture
def stored(services, team):
    services.signoff.create_draft(team.author, make_draft())
    return services.store


def _one_line(result) -> str:
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return " ".join(result.stderr.split())


@pytest.mark.parametrize("args", [("submit", "d-0001", "--owner", "dana"), ("waive", "d-0001", "x", "--reason", REASON),
                                  ("approve", "d-0001", "--yes"), ("export", "d-0001"), ("drift",),
                                  ("user", "list"), ("token", "create")])
def test_state_changing_commands_need_a_signed_in_user(cli, stored, args):
    result = cli(*args)
    assert result.exit_code == 2
    assert "sign in first: run `sopdraft login LOGIN`" in _one_line(result)


@pytest.mark.parametrize("forged", [("approve", "d-0001", "--owner", "Dana Reyes", "--role", "Operations Manager"),
                                    ("approve", "d-0001", "--approver", "Dana Reyes"),
                                    ("waive", "d-0001", "x", "--reason", REASON, "--by", "Dana Reyes"),
                                    ("submit", "d-0001", "--by", "Dana Reyes"), ("export", "d-0001", "--by", "x")])
def test_no_command_takes_a_typed_name_for_who_acts(cli, stored, tokens, forged):
    result = cli(*forged, token=tokens["approver"])
    assert result.exit_code == 2 and "No such option" in result.output + result.stderr


def test_login_stores_a_private_expiring_session_and_logout_revokes_it(cli, services, team):
    wrong = cli("login", "ana", "--password-stdin", input="wrong-password-1\n")
    assert wrong.exit_code == 2 and "unknown user or wrong password" in _one_line(wrong)
    ok = cli("login", "ana", "--password-stdin", input=password("ana") + "\n")
    assert ok.exit_code == 0 and "Signed in as Ana Lopez (ana; author, reviewer)" in ok.stdout
    path = services.settings.session_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    who = json.loads(cli("whoami", "--format", "json").stdout)
    assert (who["user"]["login"], who["method"]) == ("ana", "session")
    secret = path.read_text().strip()
    assert cli("logout").exit_code == 0 and not path.exists()
    revoked = cli("whoami", token=secret)
    assert revoked.exit_code == 2 and "revoked" in _one_line(revoked)


def test_users_and_tokens_from_the_cli(cli, services, team, tokens):
    added = cli("user", "add", "kim", "--name", "Kim Laine", "--role", "reviewer", "--password-stdin",
                input="correct-horse-battery-7\n", token=tokens["admin"])
    assert added.exit_code == 0, added.stderr
    denied = cli("user", "add", "eve", "--name", "Eve Adams", "--role", "admin", "--password-stdin",
                 input="correct-horse-battery-8\n", token=tokens["author"])
    assert denied.exit_code == 2 and "may not add users" in _one_line(denied)
    assert cli("user", "roles", "kim", "--role", "reviewer", "--role", "author", token=tokens["admin"]).exit_code == 0
    created = json.loads(cli("token", "create", "--role", "author", "--expires", "90d", "--format", "json",
                             token=tokens["author"]).stdout)
    assert created["info"]["roles"] == ["author"] and created["token"].startswith("sdt_")
    assert cli("whoami", token=created["token"]).exit_code == 0
    assert cli("token", "revoke", created["info"]["token_id"], token=tokens["author"]).exit_code == 0
    gone = cli("whoami", token=created["token"])
    assert gone.exit_code == 2 and "was revoked" in _one_line(gone)
    bad = cli("token", "create", "--expires", "soon", token=tokens["author"])
    assert bad.exit_code == 2 and "Invalid value" in bad.output


def test_the_whole_path_as_signed_in_people(cli, services, team, tokens, tmp_path):
    services.signoff.create_draft(team.author, make_draft(sop=complete_sop()))
    submitted = cli("submit", "d-0001", "--owner", "dana", "--format", "json", token=tokens["author"])
    assert submitted.exit_code == 0, submitted.stderr
    not_owner = cli("approve", "d-0001", "--yes", "--password-stdin", input=password("sam") + "\n",
                    token=tokens["reviewer"])
    assert not_owner.exit_code == 2 and "needs the approver role" in _one_line(not_owner)
    unconfirmed = cli("approve", "d-0001", "--password-stdin", input=password("dana") + "\n", token=tokens["approver"])
    assert unconfirmed.exit_code == 2 and "add --yes" in _one_line(unconfirmed)
    wrong = cli("approve", "d-0001", "--yes", "--password-stdin", input="not-her-password-1\n",
                token=tokens["approver"])
    assert wrong.exit_code == 2 and "unknown user or wrong password" in _one_line(wrong)
    approved = cli("approve", "d-0001", "--yes", "--password-stdin", "--format", "json",
                   input=password("dana") + "\n", token=tokens["approver"])
    assert approved.exit_code == 0, approved.stderr
    assert json.loads(approved.stdout)["approval"]["approver"] == "Dana Reyes"
    exported = cli("export", "d-0001", "--registry", tmp_path / "reg", "--format", "json", token=tokens["approver"])
    assert exported.exit_code == 0, exported.stderr
    assert sorted(f.rsplit(".", 1)[1] for f in json.loads(exported.stdout)["files"]) == ["docx", "json", "md"]
    assert cli("verify", tmp_path / "reg").exit_code == 0
    assert cli("audit", "verify", "--registry", tmp_path / "reg").exit_code == 0
    shown = json.loads(cli("audit", "show", "--limit", 3, "--format", "json").stdout)
    assert [e["actor_name"] for e in shown] == ["Dana Reyes"] * 3
    history = json.loads(cli("history", "d-0001", "--format", "json").stdout)
    assert [v["author"] for v in history][-1] == "Dana Reyes" and history[0]["author"] == "Ana Lopez"


def test_waive_needs_a_reviewer_and_a_written_reason(cli, stored, services, tokens):
    flag = services.signoff.blockers(stored.get_draft("d-0001"))[0]
    trivial = cli("waive", "d-0001", flag.flag_id, "--reason", "ok", token=tokens["reviewer"])
    assert trivial.exit_code == 2 and "written reason" in _one_line(trivial)
    denied = cli("waive", "d-0001", flag.flag_id, "--reason", REASON, token=tokens["approver"])
    assert denied.exit_code == 2 and "may not waive" in _one_line(denied)
    done = cli("waive", "d-0001", flag.flag_id, "--reason", REASON, "--format", "json", token=tokens["reviewer"])
    assert done.exit_code == 0 and json.loads(done.stdout)["author"] == "Sam Okafor"


def test_read_only_commands_need_no_sign_in_and_tampering_fails_verify(cli, stored):
    missing = cli("history", "nope")
    assert missing.exit_code == 2 and "no draft with id 'nope'" in missing.stderr
    assert cli("audit", "verify").exit_code == 0 and cli("drafts").exit_code == 0
    conn = bypass_protection(stored)
    conn.execute("UPDATE audit SET actor = 'Mallory Evil'")
    verify = cli("audit", "verify", "--format", "json")
    assert verify.exit_code == 1 and json.loads(verify.stdout)["ok"] is False


def test_the_ui_refuses_to_listen_beyond_loopback_without_authentication(cli, services, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    refused = cli("ui", "--host", "0.0.0.0")
    assert refused.exit_code == 2 and "authentication is not configured" in _one_line(refused)
