"""Sign-in and accounts: ``login``, ``logout``, ``whoami``, ``user …`` and ``token …``.

Passwords are read with a hidden prompt or from standard input (``--password-stdin``),
never from the command line, where other users of the machine could read them.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from datetime import timedelta
from typing import Optional

import typer

from app.auth.accounts import AuthError
from app.cli.common import FormatOption, OutputFormat, clear_errors, current_identity, emit, fail, lines, services

DEMO_ACCOUNTS = (
    ("alex", "Alex Morgan", ["admin"], "IT Administrator"),
    ("ana", "Ana Lopez", ["author", "reviewer"], "Support Team Lead"),
    ("dana", "Dana Reyes", ["approver"], "Operations Manager"),
)
PasswordStdin = typer.Option(False, "--password-stdin", help="Read the password from standard input.")
_DURATION = re.compile(r"^(\d+)\s*([hdw])$")


def read_password(from_stdin: bool, prompt: str = "Password", confirm: bool = False) -> str:
    """A password from stdin (first line) or a hidden prompt; never echoed, never from argv."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    if not value:
        fail("no password given")
    return value


def parse_duration(text: str) -> timedelta:
    """``12h``, ``90d`` or ``2w`` as a timedelta; :class:`typer.BadParameter` otherwise."""
    match = _DURATION.match(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise typer.BadParameter(f"{text!r}: use a number of hours, days or weeks, e.g. 12h, 90d, 2w")
    amount, unit = int(match.group(1)), match.group(2)
    return {"h": timedelta(hours=amount), "d": timedelta(days=amount), "w": timedelta(weeks=amount)}[unit]


def write_session(path, secret: str) -> None:  # noqa: ANN001 - Path
    """Store the CLI session token readable by this user only (0600), replacing any earlier one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    os.replace(tmp, path)


def _user_line(u) -> str:  # noqa: ANN001 - User
    state = " (disabled)" if u.disabled else ""
    return f"{u.login:16} {u.full_name}  [{', '.join(u.roles) or 'no roles'}]  {u.job_title}{state}"


def _session_commands(app: typer.Typer) -> None:
    @app.command("login")
    @clear_errors
    def login_command(ctx: typer.Context, login: str = typer.Argument(..., help="Your login."),
                      password_stdin: bool = PasswordStdin) -> None:
        """Sign in; the session token is kept under the data dir (mode 0600) until it expires."""
        svc = services(ctx)
        identity = svc.accounts.authenticate(login, read_password(password_stdin))
        ttl = timedelta(hours=svc.settings.auth.session_hours)
        info, secret = svc.accounts.issue_token(identity, kind="session", ttl=ttl)
        write_session(svc.settings.session_path, secret)
        typer.echo(f"Signed in as {identity.label} until {info.expires_at:%Y-%m-%d %H:%M} UTC.")

    @app.command("logout")
    @clear_errors
    def logout_command(ctx: typer.Context) -> None:
        """Sign out: revoke and remove the stored session token."""
        svc = services(ctx)
        path = svc.settings.session_path
        if path.exists():
            try:
                svc.accounts.record_logout(svc.accounts.identity_for_token(path.read_text(encoding="ascii")))
            except AuthError:
                pass  # already expired or revoked: removing the file is all that is left
            path.unlink()
        typer.echo("Signed out.")

    @app.command("whoami")
    @clear_errors
    def whoami_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Who the CLI acts as (from SOPDRAFT_TOKEN or `sopdraft login`)."""
        identity = current_identity(ctx)
        emit(fmt, {"user": identity.user, "roles": sorted(identity.roles), "method": identity.method},
             lines([f"{identity.label} via {identity.method}"], ""))


def _user_commands(app: typer.Typer) -> None:
    group = typer.Typer(help="Accounts (admins; the first account needs no sign-in and must be an admin).",
                        no_args_is_help=True)
    app.add_typer(group, name="user")

    @group.command("add")
    @clear_errors
    def add_command(ctx: typer.Context, login: str = typer.Argument(...),
                    name: str = typer.Option(..., "--name", help='Full name, e.g. "Dana Reyes".'),
                    role: list[str] = typer.Option(..., "--role", help="author, reviewer, approver, admin (repeat)."),
                    email: str = typer.Option("", "--email"),
                    title: str = typer.Option("", "--title", help='Job title printed on signatures.'),
                    password_stdin: bool = PasswordStdin, fmt: OutputFormat = FormatOption) -> None:
        """Add an account with a password (hidden prompt or --password-stdin)."""
        svc = services(ctx)
        actor = current_identity(ctx) if svc.accounts.has_users() else None
        password = read_password(password_stdin, "New password", confirm=not password_stdin)
        user = svc.accounts.add_user(actor, login=login, full_name=name, roles=role, email=email, job_title=title,
                                     password=password)
        emit(fmt, user, lines([f"Added {_user_line(user)}"], ""))

    @group.command("demo")
    @clear_errors
    def demo_command(ctx: typer.Context) -> None:
        """On a store with no accounts: create an admin, an author/reviewer and an approver with one-time passwords."""
        svc = services(ctx)
        if svc.accounts.has_users():
            typer.echo("Accounts exist already: sign in with yours (an admin can `sopdraft user reset-password`).")
            return
        typer.echo("Demo accounts (passwords shown once; change them with `sopdraft user reset-password`):")
        admin = None
        for login, name, roles, title in DEMO_ACCOUNTS:
            password = "-".join(secrets.token_urlsafe(4) for _ in range(3))
            user = svc.accounts.add_user(admin, login=login, full_name=name, roles=roles, job_title=title,
                                         password=password)
            if admin is None:
                admin = svc.accounts.authenticate(user.login, password)
            typer.echo(f"  {login:6} {password}   {name}, {title} [{', '.join(roles)}]")

    @group.command("list")
    @clear_errors
    def list_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Every account with its roles."""
        current_identity(ctx)
        users = services(ctx).accounts.list_users()
        emit(fmt, users, lines([_user_line(u) for u in users], "No accounts yet."))

    @group.command("roles")
    @clear_errors
    def roles_command(ctx: typer.Context, login: str = typer.Argument(...),
                      role: list[str] = typer.Option([], "--role", help="The new roles (repeat; none = no roles).")) -> None:
        """Replace a user's roles (admins)."""
        user = services(ctx).accounts.set_roles(current_identity(ctx), login, role)
        typer.echo(f"Roles of {user.login}: {', '.join(user.roles) or 'none'}")

    @group.command("disable")
    @clear_errors
    def disable_command(ctx: typer.Context, login: str = typer.Argument(...),
                        enable: bool = typer.Option(False, "--enable", help="Re-enable instead.")) -> None:
        """Disable an account and revoke its tokens (admins)."""
        user = services(ctx).accounts.set_disabled(current_identity(ctx), login, not enable)
        typer.echo(f"{user.login} is {'disabled' if user.disabled else 'enabled'}.")

    @group.command("reset-password")
    @clear_errors
    def reset_command(ctx: typer.Context, login: str = typer.Argument(...), password_stdin: bool = PasswordStdin) -> None:
        """Set a new password (admins for anyone, everyone for themself)."""
        actor = current_identity(ctx)
        password = read_password(password_stdin, "New password", confirm=not password_stdin)
        services(ctx).accounts.set_password(actor, login, password)
        typer.echo(f"Password of {login} changed.")


def _token_commands(app: typer.Typer) -> None:
    group = typer.Typer(help="API tokens for scripts (use with SOPDRAFT_TOKEN).", no_args_is_help=True)
    app.add_typer(group, name="token")

    @group.command("create")
    @clear_errors
    def create_command(ctx: typer.Context,
                       role: Optional[list[str]] = typer.Option(None, "--role", help="Narrow to these roles."),
                       expires: str = typer.Option("90d", "--expires", help="e.g. 12h, 90d, 2w."),
                       label: str = typer.Option("", "--label"), fmt: OutputFormat = FormatOption) -> None:
        """Create an API token (shown once; only its hash is stored)."""
        identity = current_identity(ctx)
        info, secret = services(ctx).accounts.issue_token(identity, kind="api", ttl=parse_duration(expires),
                                                         roles=role, label=label)
        emit(fmt, {"token": secret, "info": info},
             lines([secret, f"# {info.token_id}: roles {', '.join(info.roles)}, expires "
                            f"{info.expires_at:%Y-%m-%d %H:%M} UTC. Shown once: use it as SOPDRAFT_TOKEN."], ""))

    @group.command("list")
    @clear_errors
    def list_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Your tokens (an admin sees everyone's)."""
        tokens = services(ctx).accounts.list_tokens(current_identity(ctx))
        emit(fmt, tokens, lines([f"{t.token_id} {t.kind:7} {t.user_id} [{', '.join(t.roles)}] expires "
                                 f"{t.expires_at:%Y-%m-%d %H:%M}" + (" REVOKED" if t.revoked_at else "")
                                 for t in tokens], "No tokens."))

    @group.command("revoke")
    @clear_errors
    def revoke_command(ctx: typer.Context, token_id: str = typer.Argument(...)) -> None:
        """Revoke a token now."""
        services(ctx).accounts.revoke_token(current_identity(ctx), token_id)
        typer.echo(f"Revoked {token_id}.")


def register(app: typer.Typer) -> None:
    """Add login, logout, whoami, user and token commands."""
    _session_commands(app)
    _user_commands(app)
    _token_commands(app)

