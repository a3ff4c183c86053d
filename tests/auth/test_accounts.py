"""Accounts: the first admin, generic sign-in errors, lockout, rehash, tokens (expiry, revocation, roles)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.auth.accounts import BAD_LOGIN, Accounts, AuthError, PermissionDenied
from app.auth.passwords import make_hasher
from tests.support.people import password


class Clock:
    """A settable clock for lockout and expiry."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc) + timedelta(seconds=1)  # after the team signed in

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(services) -> Clock:
    clock = Clock()
    services.accounts.clock = clock
    return clock


def test_the_first_account_must_be_an_admin_and_later_ones_need_one(services):
    accounts = services.accounts
    with pytest.raises(AuthError, match="first account must be an admin"):
        accounts.add_user(None, login="ana", full_name="Ana Lopez", roles=["author"], password="correct-horse-99")
    admin = accounts.add_user(None, login="alex", full_name="Alex Morgan", roles=["admin"], password="correct-horse-98")
    with pytest.raises(PermissionDenied, match="signed-in admin"):
        accounts.add_user(None, login="ana", full_name="Ana Lopez", roles=["author"], password="correct-horse-99")
    alex = accounts.authenticate("alex", "correct-horse-98")
    ana = accounts.add_user(alex, login="ana", full_name="Ana Lopez", roles=["author"], password="correct-horse-99")
    with pytest.raises(PermissionDenied, match="may not add users"):
        accounts.add_user(accounts.authenticate("ana", "correct-horse-99"), login="eve", full_name="Eve Adams",
                          roles=["admin"], password="correct-horse-97")
    assert [u.login for u in accounts.list_users()] == ["alex", "ana"] and admin.roles == ["admin"]
    created = [e for e in services.store.audit_log() if e.action == "user_created"]
    assert [e.details["login"] for e in created] == ["ana", "alex"] and created[0].actor == alex.user.user_id
    assert ana.has_password and "hash" not in ana.model_dump_json()


@pytest.mark.parametrize(("login", "name", "secret", "problem"), [
    ("ana", "Ana", "correct-horse-99", "first and a last name"),
    ("ana", "Test User", "correct-horse-99", "placeholder"),
    ("a", "Ana Lopez", "correct-horse-99", "login"),
    ("ana", "Ana Lopez", "short", "at least 12"),
    ("ana", "Ana Lopez", "ana-correct-horse", "must not contain the login"),
])
def test_bad_account_details_are_refused(services, team, login, name, secret, problem):
    with pytest.raises(AuthError, match=problem):
        services.accounts.add_user(team.admin, login=login, full_name=name, roles=["author"], password=secret)


def test_unknown_user_and_wrong_password_get_the_same_message(services, team):
    with pytest.raises(AuthError) as unknown:
        services.accounts.authenticate("nobody", "whatever-password-1")
    with pytest.raises(AuthError) as wrong:
        services.accounts.authenticate("ana", "whatever-password-1")
    assert str(unknown.value) == str(wrong.value) == BAD_LOGIN
    assert [e.action for e in services.store.audit_log(limit=2)] == ["login_failed", "login_failed"]


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes(services, team, clock):
    accounts = services.accounts
    for minute in range(5):
        clock.now += timedelta(minutes=2)
        with pytest.raises(AuthError, match=BAD_LOGIN):
            accounts.authenticate("ana", f"wrong-password-{minute}")
    assert "account_locked" in [e.action for e in services.store.audit_log(limit=3)]
    with pytest.raises(AuthError, match="too many failed sign-ins"):
        accounts.authenticate("ana", password("ana"))  # even the right password
    clock.now += timedelta(minutes=16)
    assert accounts.authenticate("ana", password("ana")).user.login == "ana"


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(services, team, clock):
    for minute in range(6):
        clock.now += timedelta(minutes=4)
        with pytest.raises(AuthError, match=BAD_LOGIN):
            services.accounts.authenticate("sam", f"wrong-password-{minute}")
    assert services.accounts.authenticate("sam", password("sam")).user.login == "sam"


def test_a_disabled_account_cannot_sign_in_and_its_tokens_stop(services, team):
    accounts = services.accounts
    _, secret = accounts.issue_token(team.author, kind="session", ttl=timedelta(hours=1))
    accounts.set_disabled(team.admin, "ana")
    with pytest.raises(AuthError, match=BAD_LOGIN):
        accounts.authenticate("ana", password("ana"))
    with pytest.raises(AuthError, match="revoked"):
        accounts.identity_for_token(secret)
    with pytest.raises(AuthError, match="last active admin"):
        accounts.set_disabled(team.admin, "alex")


def test_changed_hash_parameters_rehash_at_the_next_sign_in(services, team):
    stronger = Accounts(services.store, hasher=make_hasher(2, 128, 1))
    stronger.authenticate("ana", password("ana"))
    stored = services.store._conn().execute("SELECT password_hash FROM users WHERE login = 'ana'").fetchone()[0]
    assert "t=2" in stored and "m=128" in stored


def test_tokens_expire_are_revocable_and_never_exceed_their_user(services, team, clock):
    accounts = services.accounts
    info, secret = accounts.issue_token(team.author, kind="api", ttl=timedelta(days=90), roles=["author"])
    identity = accounts.identity_for_token(secret)
    assert (identity.roles, identity.method) == (frozenset({"author"}), "token")  # narrowed to author
    with pytest.raises(PermissionDenied, match="roles its user lacks"):
        accounts.issue_token(team.author, kind="api", ttl=timedelta(days=1), roles=["admin"])
    stored = services.store._conn().execute("SELECT secret_sha256 FROM tokens").fetchall()
    assert all(secret not in row[0] for row in stored)  # only a hash is kept
    clock.now += timedelta(days=91)
    with pytest.raises(AuthError, match="expired"):
        accounts.identity_for_token(secret)
    clock.now -= timedelta(days=91)
    with pytest.raises(PermissionDenied, match="other people's tokens"):
        accounts.revoke_token(team.reviewer, info.token_id)
    accounts.revoke_token(team.author, info.token_id)
    with pytest.raises(AuthError, match="revoked"):
        accounts.identity_for_token(secret)
    accounts.set_roles(team.admin, "ana", ["reviewer"])
    _, other = accounts.issue_token(team.author, kind="session", ttl=timedelta(hours=1), roles=["author"])
    assert accounts.identity_for_token(other).roles == frozenset()  # a role removed since is gone
    with pytest.raises(AuthError, match="not valid"):
        accounts.identity_for_token("sdt_forged")


def test_an_oidc_identity_maps_to_one_user_and_roles_come_from_an_admin_or_a_claim(services, team):
    accounts = services.accounts
    at = datetime.now(timezone.utc)
    first = accounts.oidc_identity(issuer="https://idp", subject="s-1", email="kim@example.org", name="Kim Laine",
                                   auth_time=at)
    again = accounts.oidc_identity(issuer="https://idp", subject="s-1", email="kim@example.org", name="Kim Laine",
                                   auth_time=at)
    assert first.user.user_id == again.user.user_id and first.roles == frozenset()
    other = accounts.oidc_identity(issuer="https://other-idp", subject="s-1", email="kim@example.org",
                                   name="Kim Laine", auth_time=at, claim_roles=["reviewer", "superuser"])
    assert other.user.user_id != first.user.user_id and other.roles == frozenset({"reviewer"})
