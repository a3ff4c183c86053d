"""The role table, exhaustively: every role x every action, written out here independently of the code."""

from __future__ import annotations

import pytest

from app.auth.permissions import ROLES, Permission, allowed, check_roles, permissions

P = Permission
EXPECTED = {
    "author": {P.INGEST, P.DRAFT, P.EDIT, P.SUBMIT, P.CHECK_DRIFT},
    "reviewer": {P.EDIT, P.WAIVE, P.SIGN_REVIEWED, P.CHECK_DRIFT},
    "approver": {P.SIGN_APPROVED, P.EXPORT, P.CHECK_DRIFT},
    "admin": {P.MANAGE_USERS, P.MANAGE_TOKENS, P.MANAGE_SETTINGS, P.ASSIGN_OWNER, P.EXPORT, P.CHECK_DRIFT},
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("permission", list(Permission))
def test_every_role_and_action(role: str, permission: Permission) -> None:
    assert allowed([role], permission) is (permission in EXPECTED[role])


def test_the_table_has_exactly_these_roles_and_admin_never_signs() -> None:
    assert set(ROLES) == set(EXPECTED)
    assert not {P.SIGN_APPROVED, P.SIGN_REVIEWED} & permissions(["admin"])


def test_roles_combine_and_unknown_roles_grant_nothing() -> None:
    assert permissions(["author", "reviewer"]) == EXPECTED["author"] | EXPECTED["reviewer"]
    assert permissions(["superuser"]) == frozenset()
    with pytest.raises(ValueError, match="unknown role"):
        check_roles(["author", "superuser"])
    assert check_roles([" Reviewer", "author", "author"]) == ["author", "reviewer"]
