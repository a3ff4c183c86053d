"""Local accounts, lockout, sessions and API tokens, and OIDC identities, stored in the registry database.

Every change and every sign-in event is audited in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable, Literal

from argon2 import PasswordHasher

from app.auth.passwords import hash_password, make_hasher, needs_rehash, password_problem, verify_password
from app.auth.permissions import ROLES, Permission, allowed, check_roles
from app.registry.errors import RegistryError
from app.registry.records import Actor, TokenInfo, User
from app.registry.store import Store, utcnow
from app.registry.workflow import name_problem

AuthMethod = Literal["password", "session", "token", "oidc"]
BAD_LOGIN = "unknown user or wrong password"
_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,63}$")
_USER_COLUMNS = ("user_id, login, full_name, email, job_title, roles_json, disabled, password_hash, oidc_issuer, "
                 "oidc_subject, created_at, created_by")
TOKEN_PREFIX = "sdt_"
_TOKEN_COLUMNS = "token_id, user_id, kind, roles_json, label, created_at, expires_at, revoked_at"


class AuthError(RegistryError):
    """Sign-in refused (the message never tells an unknown user from a wrong password)."""


class PermissionDenied(RegistryError):
    """The signed-in user's roles do not allow the action."""


@dataclass(frozen=True)
class Identity:
    """An authenticated user as seen by the services: who, with which roles, signed in how and when."""

    user: User
    roles: frozenset[str]
    method: AuthMethod
    auth_time: datetime
    token_id: str = field(default="", compare=False)

    @property
    def actor(self) -> Actor:
        """This user as the actor of an audited action."""
        return self.user.actor

    @property
    def label(self) -> str:
        """``Dana Reyes (dana; approver, reviewer)`` for a status line."""
        return f"{self.user.full_name} ({self.user.login}; {', '.join(sorted(self.roles)) or 'no roles'})"

    def can(self, permission: Permission) -> bool:
        """Whether this identity's roles allow ``permission``."""
        return allowed(self.roles, permission)

    def require(self, permission: Permission, doing: str = "") -> None:
        """Raise :class:`PermissionDenied` unless this identity may do ``permission``."""
        if not self.can(permission):
            raise PermissionDenied(f"{self.user.full_name} ({', '.join(sorted(self.roles)) or 'no roles'}) may not "
                                   f"{doing or permission.value.replace('_', ' ')}; an admin can grant the role")


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failures within how long lock an account, and for how long."""

    attempts: int = 5
    window: timedelta = timedelta(minutes=15)
    duration: timedelta = timedelta(minutes=15)


def _token(row: tuple) -> TokenInfo:
    return TokenInfo(token_id=row[0], user_id=row[1], kind=row[2], roles=json.loads(row[3]), label=row[4],
                     created_at=row[5], expires_at=row[6], revoked_at=row[7])


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Accounts:
    """Users, sign-in with lockout, sessions and tokens, over the registry store."""

    def __init__(self, store: Store, *, hasher: PasswordHasher | None = None, lockout: LockoutPolicy | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.hasher = hasher or make_hasher(3, 65536, 4)
        self.lockout = lockout or LockoutPolicy()
        self.clock = clock

    # -- users ------------------------------------------------------------------------------
    def has_users(self) -> bool:
        """Whether any account exists (the first one must be an admin)."""
        return bool(self.store.read("SELECT 1 FROM users LIMIT 1"))

    def _user(self, row: tuple) -> User:
        return User(user_id=row[0], login=row[1], full_name=row[2], email=row[3], job_title=row[4],
                    roles=json.loads(row[5]), disabled=bool(row[6]), has_password=bool(row[7]),
                    oidc_issuer=row[8], oidc_subject=row[9], created_at=row[10], created_by=row[11])

    def _row(self, where: str, *params: object) -> tuple | None:
        rows = self.store.read(f"SELECT {_USER_COLUMNS} FROM users WHERE {where}", params)
        return rows[0] if rows else None

    def get(self, user_id: str) -> User:
        """The user with ``user_id``; raises :class:`AuthError`."""
        row = self._row("user_id = ?", user_id)
        if row is None:
            raise AuthError(f"no user with id {user_id!r}")
        return self._user(row)

    def by_login(self, login: str) -> User:
        """The user signing in as ``login``; raises :class:`AuthError`."""
        row = self._row("login = ?", login.strip())
        if row is None:
            raise AuthError(f"no user {login!r}")
        return self._user(row)

    def list_users(self) -> list[User]:
        """Every account, by login."""
        rows = self.store.read(f"SELECT {_USER_COLUMNS} FROM users ORDER BY login")
        return [self._user(r) for r in rows]

    def add_user(self, actor: Identity | None, *, login: str, full_name: str, roles: Iterable[str],
                 email: str = "", job_title: str = "", password: str | None = None,
                 oidc: tuple[str, str] | None = None) -> User:
        """Create an account. The very first one needs no actor and must be an admin; later ones need an admin."""
        login, full_name = login.strip().lower(), " ".join(full_name.split())
        role_list = check_roles(roles)
        problems = [p for p in (name_problem(full_name, "user"),) if p]
        if not _LOGIN.match(login):
            problems.append(f"login {login!r} must be 2-64 characters: letters, digits and . _ @ + -")
        if password is not None:
            problems += [p for p in (password_problem(password, login),) if p]
        if problems:
            raise AuthError("cannot add user: " + "; ".join(problems))
        now = self.clock().isoformat()
        user_id = f"u-{secrets.token_hex(6)}"
        with self.store.transaction() as conn:
            first = conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None
            if first and "admin" not in role_list:
                raise AuthError("the first account must be an admin: add it with --role admin")
            if not first:
                if actor is None:
                    raise PermissionDenied("only a signed-in admin can add users (run `sopdraft login` first)")
                actor.require(Permission.MANAGE_USERS, "add users")
            if conn.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
                raise AuthError(f"login {login!r} is taken")
            by = actor.actor if actor else Actor(id=user_id, name=full_name)
            conn.execute(f"INSERT INTO users ({_USER_COLUMNS}, changed_at, changed_by) "
                         "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                         (user_id, login, full_name, email.strip(), job_title.strip(), json.dumps(role_list),
                          hash_password(password, self.hasher) if password else "", *(oidc or (None, None)), now, by.id, now,
                          by.id))
            self.store.append_audit(conn, actor=by, action="user_created",
                                    details={"user_id": user_id, "login": login, "full_name": full_name,
                                             "roles": role_list, "first_admin": first, "oidc": bool(oidc)})
        return self.get(user_id)

    def _change(self, actor: Identity, user: User, action: str, sql: str, params: tuple, details: dict,
                revoke_tokens: bool = False) -> User:
        now = self.clock().isoformat()
        with self.store.transaction() as conn:
            conn.execute(f"UPDATE users SET {sql}, changed_at = ?, changed_by = ? WHERE user_id = ?",
                         (*params, now, actor.user.user_id, user.user_id))
            if revoke_tokens:
                conn.execute("UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                             (now, user.user_id))
            self.store.append_audit(conn, actor=actor.actor, action=action,
                                    details={"user_id": user.user_id, "login": user.login, **details})
        return self.get(user.user_id)

    def set_roles(self, actor: Identity, login: str, roles: Iterable[str]) -> User:
        """Replace a user's roles (admins only; the last active admin keeps the admin role)."""
        actor.require(Permission.MANAGE_USERS, "change roles")
        user, role_list = self.by_login(login), check_roles(roles)
        if "admin" in user.roles and "admin" not in role_list and self._active_admins() == [user.user_id]:
            raise AuthError(f"{user.login} is the last admin; make someone else admin first")
        return self._change(actor, user, "roles_changed", "roles_json = ?", (json.dumps(role_list),),
                            {"from": user.roles, "to": role_list})

    def set_disabled(self, actor: Identity, login: str, disabled: bool = True) -> User:
        """Disable (and revoke every token of) or re-enable an account (admins only)."""
        actor.require(Permission.MANAGE_USERS, "disable users")
        user = self.by_login(login)
        if disabled and self._active_admins() == [user.user_id]:
            raise AuthError(f"{user.login} is the last active admin; it cannot be disabled")
        return self._change(actor, user, "user_disabled" if disabled else "user_enabled", "disabled = ?",
                            (int(disabled),), {}, revoke_tokens=disabled)

    def set_password(self, actor: Identity, login: str, password: str) -> User:
        """Set a new password: an admin for anyone, a user for themself. Revokes the user's sessions."""
        user = self.by_login(login)
        if actor.user.user_id != user.user_id:
            actor.require(Permission.MANAGE_USERS, "reset other people's passwords")
        problem = password_problem(password, user.login)
        if problem:
            raise AuthError(f"cannot set the password: {problem}")
        return self._change(actor, user, "password_reset", "password_hash = ?", (hash_password(password, self.hasher),), {},
                            revoke_tokens=actor.user.user_id != user.user_id)

    def _active_admins(self) -> list[str]:
        return [u.user_id for u in self.list_users() if "admin" in u.roles and not u.disabled]

    # -- sign-in and lockout -------------------------------------------------------------------
    def locked_until(self, login: str, now: datetime | None = None) -> datetime | None:
        """When the lockout of ``login`` ends (None if it is not locked)."""
        now = now or self.clock()
        policy = self.lockout
        since = (now - policy.window - policy.duration).isoformat()
        rows = self.store.read("SELECT at, ok FROM login_attempts WHERE login = ? AND at > ? ORDER BY at",
                               (login.strip(), since))
        failures: list[datetime] = []
        for at, ok in rows:
            if ok == 1:
                failures = []
            elif ok == 0:
                failures.append(datetime.fromisoformat(at))
        for first, last in zip(failures, failures[policy.attempts - 1:]):
            if last - first <= policy.window and now < last + policy.duration:
                return last + policy.duration
        return None

    def _attempt(self, conn: sqlite3.Connection, login: str, ok: int, user: User | None, action: str) -> None:
        now = self.clock().isoformat()
        conn.execute("INSERT INTO login_attempts (login, at, ok) VALUES (?, ?, ?)", (login, now, ok))
        actor = user.actor if user else Actor(id="unknown", name=login[:64])
        self.store.append_audit(conn, actor=actor, action=action, details={"login": login[:64]})

    def _check_password(self, login: str, password: str, action: str) -> User:
        login = login.strip().lower()
        until = self.locked_until(login)
        if until is not None:
            with self.store.transaction() as conn:
                self._attempt(conn, login, 2, None, "login_refused_locked")
            raise AuthError(f"too many failed sign-ins; try again after {until:%H:%M} UTC")
        row = self._row("login = ?", login)
        user = self._user(row) if row else None
        stored = row[7] if row else ""
        ok = verify_password(stored, password, self.hasher) and user is not None and not user.disabled
        with self.store.transaction() as conn:
            self._attempt(conn, login, int(ok), user, action if ok else f"{action}_failed")
            if not ok and self.locked_until(login) is not None:
                self.store.append_audit(conn, actor=Actor(id="unknown", name=login[:64]), action="account_locked",
                                        details={"login": login, "minutes": self.lockout.duration.seconds // 60})
            if ok and needs_rehash(stored, self.hasher):
                conn.execute("UPDATE users SET password_hash = ? WHERE user_id = ?",
                             (hash_password(password, self.hasher), user.user_id))
        if not ok:
            raise AuthError(BAD_LOGIN)
        return user

    def authenticate(self, login: str, password: str) -> Identity:
        """Sign in with a password (lockout after repeated failures; audited either way)."""
        user = self._check_password(login, password, "login")
        return Identity(user=user, roles=frozenset(user.roles), method="password", auth_time=self.clock())

    def reauthenticate(self, identity: Identity, password: str) -> Identity:
        """Check the password again (before signing); the same lockout applies."""
        user = self._check_password(identity.user.login, password, "reauthenticated")
        if user.user_id != identity.user.user_id:
            raise AuthError(BAD_LOGIN)
        return Identity(user=user, roles=identity.roles, method="password", auth_time=self.clock())

    def record_logout(self, identity: Identity) -> None:
        """Audit a sign-out (and revoke the session token it used, if any)."""
        with self.store.transaction() as conn:
            if identity.token_id and identity.method == "session":
                conn.execute("UPDATE tokens SET revoked_at = ? WHERE token_id = ?",
                             (self.clock().isoformat(), identity.token_id))
            self.store.append_audit(conn, actor=identity.actor, action="logout", details={"method": identity.method})

    # -- tokens ---------------------------------------------------------------------------------
    def issue_token(self, identity: Identity, *, kind: Literal["session", "api"], ttl: timedelta,
                    roles: Iterable[str] | None = None, label: str = "") -> tuple[TokenInfo, str]:
        """A new session or API token for ``identity``: ``(info, secret)``; only its hash is stored."""
        wanted = check_roles(roles) if roles else sorted(identity.roles)
        extra = [r for r in wanted if r not in identity.roles]
        if extra:
            raise PermissionDenied(f"a token cannot carry roles its user lacks: {', '.join(extra)}")
        if ttl <= timedelta(0):
            raise AuthError("a token must expire in the future")
        token_id = f"t-{secrets.token_hex(6)}"
        secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        now = self.clock()
        info = TokenInfo(token_id=token_id, user_id=identity.user.user_id, kind=kind, roles=wanted, label=label,
                         created_at=now, expires_at=now + ttl)
        with self.store.transaction() as conn:
            conn.execute("INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                         (token_id, info.user_id, kind, _sha256(secret), json.dumps(wanted), label,
                          now.isoformat(), info.expires_at.isoformat()))
            self.store.append_audit(conn, actor=identity.actor, action=f"{kind}_token_created",
                                    details={"token_id": token_id, "roles": wanted, "label": label,
                                             "expires_at": info.expires_at.isoformat()})
        return info, secret

    def identity_for_token(self, secret: str) -> Identity:
        """The identity a session or API token stands for; :class:`AuthError` if expired, revoked or unknown."""
        rows = self.store.read(f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE secret_sha256 = ?",
                               (_sha256(secret.strip()),))
        if not rows:
            raise AuthError("the token is not valid; sign in again with `sopdraft login`")
        info = _token(rows[0])
        if info.revoked_at is not None:
            raise AuthError(f"the {info.kind} token {info.token_id} was revoked; sign in again with `sopdraft login`")
        if self.clock() >= info.expires_at:
            raise AuthError(f"the {info.kind} token {info.token_id} expired at {info.expires_at:%Y-%m-%d %H:%M} UTC; "
                            "sign in again with `sopdraft login`")
        user = self.get(info.user_id)
        if user.disabled:
            raise AuthError(f"the account {user.login} is disabled")
        roles = frozenset(info.roles) & frozenset(user.roles)  # a role removed since stays removed
        return Identity(user=user, roles=roles, method="session" if info.kind == "session" else "token",
                        auth_time=info.created_at, token_id=info.token_id)

    def list_tokens(self, identity: Identity) -> list[TokenInfo]:
        """The identity's own tokens (an admin sees everyone's)."""
        query, params = f"SELECT {_TOKEN_COLUMNS} FROM tokens", ()
        if not identity.can(Permission.MANAGE_TOKENS):
            query, params = query + " WHERE user_id = ?", (identity.user.user_id,)
        rows = self.store.read(query + " ORDER BY created_at", params)
        return [_token(r) for r in rows]

    def revoke_token(self, identity: Identity, token_id: str) -> None:
        """Revoke a token: its owner or an admin may."""
        rows = self.store.read("SELECT user_id FROM tokens WHERE token_id = ?", (token_id,))
        row = rows[0] if rows else None
        if row is None:
            raise AuthError(f"no token {token_id!r}")
        if row[0] != identity.user.user_id:
            identity.require(Permission.MANAGE_TOKENS, "revoke other people's tokens")
        with self.store.transaction() as conn:
            conn.execute("UPDATE tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                         (self.clock().isoformat(), token_id))
            self.store.append_audit(conn, actor=identity.actor, action="token_revoked", details={"token_id": token_id})

    # -- OIDC ---------------------------------------------------------------------------------
    def oidc_identity(self, *, issuer: str, subject: str, email: str, name: str, auth_time: datetime,
                      claim_roles: Iterable[str] | None = None) -> Identity:
        """The user an OIDC identity (issuer + ``sub``) maps to, created without roles on first sign-in.

        Roles are assigned in sopdraft by an admin, or taken from ``claim_roles`` when the
        settings name a roles claim (unknown role names are ignored).
        """
        row = self._row("oidc_issuer = ? AND oidc_subject = ?", issuer, subject)
        if row is None:
            login = re.sub(r"[^a-z0-9._@+-]", "", (email or subject).lower())[:64] or f"oidc-{subject[:20]}"
            if self._row("login = ?", login):
                login = f"{login[:50]}-{secrets.token_hex(3)}"
            user_id, now = f"u-{secrets.token_hex(6)}", self.clock().isoformat()
            full_name = " ".join((name or email or subject).split())[:200]
            with self.store.transaction() as conn:
                conn.execute(f"INSERT INTO users ({_USER_COLUMNS}, changed_at, changed_by) "
                             "VALUES (?, ?, ?, ?, '', '[]', 0, '', ?, ?, ?, 'oidc', ?, 'oidc')",
                             (user_id, login, full_name, email, issuer, subject, now, now))
                self.store.append_audit(conn, actor=Actor(id=user_id, name=full_name), action="user_created_oidc",
                                        details={"issuer": issuer, "subject": subject, "login": login})
            row = self._row("user_id = ?", user_id)
        user = self._user(row)
        if user.disabled:
            raise AuthError(f"the account {user.login} is disabled")
        if claim_roles is not None:
            wanted = sorted({r for r in claim_roles if r in ROLES})
            if wanted != user.roles:
                with self.store.transaction() as conn:
                    conn.execute("UPDATE users SET roles_json = ? WHERE user_id = ?", (json.dumps(wanted), user.user_id))
                    self.store.append_audit(conn, actor=user.actor, action="roles_changed",
                                            details={"user_id": user.user_id, "from": user.roles, "to": wanted,
                                                     "source": "oidc claim"})
                user = self.get(user.user_id)
        with self.store.transaction() as conn:
            self.store.append_audit(conn, actor=user.actor, action="login", details={"method": "oidc"})
        return Identity(user=user, roles=frozenset(user.roles), method="oidc", auth_time=auth_time)
