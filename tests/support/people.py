"""A signed-in team for tests: accounts created through the real Accounts service (fast Argon2 settings)."""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.accounts import Identity

# login -> (full name, roles, job title, password); no password contains its login.
PEOPLE = {
    "alex": ("Alex Morgan", ["admin"], "IT Administrator", "correct-horse-battery-1"),
    "ana": ("Ana Lopez", ["author", "reviewer"], "Support Team Lead", "correct-horse-battery-2"),
    "sam": ("Sam Okafor", ["reviewer"], "Quality Lead", "correct-horse-battery-3"),
    "dana": ("Dana Reyes", ["approver"], "Operations Manager", "correct-horse-battery-4"),
}


def password(login: str) -> str:
    """The test password of ``login``."""
    return PEOPLE[login][3]


@dataclass(frozen=True)
class Team:
    """Signed-in identities of an admin, an author/reviewer, a reviewer and an approver (the owner)."""

    admin: Identity
    author: Identity
    reviewer: Identity
    approver: Identity


def add_team(services) -> Team:  # noqa: ANN001 - Services
    """Create the four accounts (the first one the admin) and sign each of them in."""
    accounts = services.accounts
    admin = None
    for login, (name, roles, title, secret) in PEOPLE.items():
        accounts.add_user(admin, login=login, full_name=name, roles=roles, job_title=title, password=secret)
        if admin is None:
            admin = accounts.authenticate(login, secret)
    signed = {login: accounts.authenticate(login, password(login)) for login in PEOPLE}
    return Team(admin=signed["alex"], author=signed["ana"], reviewer=signed["sam"], approver=signed["dana"])


def author_of(services) -> Identity:  # noqa: ANN001 - Services
    """The signed-in author of ``services``' test team (the team is created on first use)."""
    team = services.__dict__.get("_test_team")
    if team is None:
        team = services.__dict__["_test_team"] = add_team(services)
    return team.author
