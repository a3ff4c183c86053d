"""Password hashing with Argon2id (argon2-cffi), at or above OWASP's minimum parameters by default."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_CHARS = 12


def make_hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    """An Argon2id hasher with these parameters (see ``AuthSettings.argon2_*``)."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


@functools.cache
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    """A hash of a random password, verified for unknown logins so they cost as long as wrong passwords."""
    return make_hasher(time_cost, memory_kib, parallelism).hash("sopdraft-no-such-user-0123456789")


def password_problem(password: str, login: str = "") -> str | None:
    """Why ``password`` is not acceptable (None when it is)."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    if login and login.lower() in password.lower():
        return "a password must not contain the login"
    if len(set(password)) < 5:
        return "a password needs more than a few distinct characters"
    return None


def hash_password(password: str, hasher: PasswordHasher) -> str:
    """The Argon2id hash of ``password`` (salted, with its parameters)."""
    return hasher.hash(password)


def verify_password(stored_hash: str, password: str, hasher: PasswordHasher) -> bool:
    """Whether ``password`` matches ``stored_hash`` (an empty hash never matches, at the same cost)."""
    dummy = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    try:
        return hasher.verify(stored_hash or dummy, password) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, hasher: PasswordHasher) -> bool:
    """Whether ``stored_hash`` was made with other parameters than ``hasher``'s."""
    try:
        return hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
