"""The one table of what each role may do (tested exhaustively: every role x every action)."""

from __future__ import annotations

from enum import Enum
from typing import Iterable


class Permission(str, Enum):
    """An action that needs a role."""

    INGEST = "ingest"
    DRAFT = "draft"
    EDIT = "edit"
    SUBMIT = "submit"
    WAIVE = "waive"
    SIGN_REVIEWED = "sign_reviewed"
    SIGN_APPROVED = "sign_approved"
    EXPORT = "export"
    CHECK_DRIFT = "check_drift"
    ASSIGN_OWNER = "assign_owner"
    MANAGE_USERS = "manage_users"
    MANAGE_TOKENS = "manage_tokens"
    MANAGE_SETTINGS = "manage_settings"


P = Permission
ROLES: dict[str, frozenset[Permission]] = {
    "author": frozenset({P.INGEST, P.DRAFT, P.EDIT, P.SUBMIT, P.CHECK_DRIFT}),
    "reviewer": frozenset({P.EDIT, P.WAIVE, P.SIGN_REVIEWED, P.CHECK_DRIFT}),
    "approver": frozenset({P.SIGN_APPROVED, P.EXPORT, P.CHECK_DRIFT}),
    # An admin runs the installation; being admin never lets anyone approve.
    "admin": frozenset({P.MANAGE_USERS, P.MANAGE_TOKENS, P.MANAGE_SETTINGS, P.ASSIGN_OWNER, P.EXPORT,
                        P.CHECK_DRIFT}),
}
MEANING_PERMISSION = {"reviewed": P.SIGN_REVIEWED, "approved": P.SIGN_APPROVED}


def permissions(roles: Iterable[str]) -> frozenset[Permission]:
    """Everything ``roles`` together allow (unknown role names allow nothing)."""
    return frozenset().union(*(ROLES.get(r, frozenset()) for r in roles))


def allowed(roles: Iterable[str], permission: Permission) -> bool:
    """Whether ``roles`` include one that grants ``permission``."""
    return permission in permissions(roles)


def check_roles(roles: Iterable[str]) -> list[str]:
    """``roles`` de-duplicated and sorted; ``ValueError`` naming any unknown role."""
    wanted = sorted({r.strip().lower() for r in roles if r.strip()})
    unknown = [r for r in wanted if r not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; choose from {', '.join(ROLES)}")
    return wanted
