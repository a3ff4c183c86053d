"""Review, sign-off and registry commands: drafts, history, diff, submit, owner, waive, sign/approve, export,
due, drift, verify, audit.

Every state-changing command acts as the signed-in user (see ``app.cli.auth_cmd``) through
the one sign-off service; nothing here decides who may do what.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Callable, Optional

import typer

from app.cli.auth_cmd import read_password
from app.cli.common import (
    FormatOption,
    OutputFormat,
    clear_errors,
    current_identity,
    emit,
    fail,
    lines,
    services,
)
from app.registry.signoff import PasswordProof


def _record_lines(record) -> Callable[[], None]:  # noqa: ANN001 - DraftRecord
    out = [f"{record.draft_id} v{record.version}: {record.status} - {record.draft.sop.title}"]
    if record.approval:
        a = record.approval
        out.append(f"  {a.sop_id} {a.doc_version}, owner {a.owner_name} ({a.owner_role}), approved by "
                   f"{a.approver}; next review {a.next_review_date}; content hash {a.content_hash}")
    return lines(out, "")


def _list_commands(app: typer.Typer) -> None:
    @app.command("drafts")
    def drafts_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """List drafts and SOPs with their state, version, owner and next review date."""
        rows = services(ctx).store.list_drafts()
        emit(fmt, rows, lines([f"{r.draft_id}  v{r.version}  {r.status:10} {r.sop_id or '-':10} {r.title}  "
                                f"owner: {r.owner or '-'}  next review: {r.next_review_date or '-'}" for r in rows],
                               "No drafts yet: run `sopdraft draft TASK`."))

    @app.command("history")
    @clear_errors
    def history_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                        fmt: OutputFormat = FormatOption) -> None:
        """Every version of DRAFT_ID: who, when, why, state and content hash."""
        rows = services(ctx).store.history(draft_id)
        emit(fmt, rows, lines([f"v{v.version}  {v.created_at:%Y-%m-%d %H:%M}  {v.status:10} {v.author}: {v.reason}"
                                + (f"  (approved by {v.approved_by})" if v.approved_by else "") for v in rows], ""))

    @app.command("diff")
    @clear_errors
    def diff_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                     from_version: Optional[int] = typer.Option(None, "--from", help="Default: the previous one."),
                     to_version: Optional[int] = typer.Option(None, "--to", help="Default: the latest version."),
                     approved: bool = typer.Option(False, "--approved",
                                                   help="Compare with the approved SOP of the same id instead."),
                     fmt: OutputFormat = FormatOption) -> None:
        """Section-by-section diff of two versions (or against the SOP in force with --approved)."""
        from app.registry.diff import diff_against_approved, diff_versions, format_diff

        store = services(ctx).store
        if approved:
            diffs = diff_against_approved(store, draft_id, to_version)
            if diffs is None:
                fail(f"no approved SOP shares the SOP id of draft {draft_id}")
        else:
            to_version = to_version or store.get_draft(draft_id).version
            from_version = from_version or to_version - 1
            if from_version < 1:
                fail(f"draft {draft_id} has only version {to_version}; nothing to compare")
            diffs = diff_versions(store, draft_id, from_version, to_version)
        emit(fmt, diffs, lambda: typer.echo(format_diff(diffs)))


def _review_commands(app: typer.Typer) -> None:
    @app.command("submit")
    @clear_errors
    def submit_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                       owner: Optional[str] = typer.Option(None, "--owner",
                                                           help="Login of the SOP's owner (an approver)."),
                       fmt: OutputFormat = FormatOption) -> None:
        """Send the latest version of DRAFT_ID for review, with its owner."""
        svc = services(ctx)
        record = svc.signoff.submit(current_identity(ctx), draft_id, owner_login=owner)
        emit(fmt, record, _record_lines(record))

    @app.command("owner")
    @clear_errors
    def owner_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                      login: str = typer.Argument(..., help="Login of the new owner.")) -> None:
        """Change the owner of DRAFT_ID (an admin or the current owner; audited)."""
        user = services(ctx).signoff.assign_owner(current_identity(ctx), draft_id, login)
        typer.echo(f"{draft_id} is now owned by {user.full_name} ({user.login}).")

    @app.command("waive")
    @clear_errors
    def waive_command(ctx: typer.Context, draft_id: str = typer.Argument(...), flag_id: str = typer.Argument(...),
                      reason: str = typer.Option(..., "--reason", help="Why this finding is acceptable (written)."),
                      fmt: OutputFormat = FormatOption) -> None:
        """Waive finding FLAG_ID of DRAFT_ID with a written reason (reviewers; recorded and audited)."""
        identity = current_identity(ctx)
        waiver = services(ctx).signoff.waive(identity, draft_id, flag_id, reason=reason)
        emit(fmt, waiver, lines([f"Waived {flag_id} [{waiver.rule}] on {draft_id} by {waiver.author}."], ""))

    def sign(ctx: typer.Context, draft_id: str, meaning: str, yes: bool, password_stdin: bool,
             fmt: OutputFormat) -> None:
        svc = services(ctx)
        identity = current_identity(ctx)
        record = svc.store.get_draft(draft_id)
        problems = svc.signoff.sign_problems(identity, record, meaning)  # before asking for the password
        if problems:
            fail(f"cannot sign: {'; '.join(problems)}")
        if not yes:
            fail(f"add --yes to confirm you read v{record.version} (content {record.draft.sop.content_hash()[:12]}) "
                 "and its cited sources")
        password = read_password(password_stdin, f"Password of {identity.user.login} (to sign '{meaning}')")
        signed = svc.signoff.sign(identity, draft_id, meaning, proof=PasswordProof(password), confirm=yes,
                                  expected_version=record.version)
        emit(fmt, signed, _record_lines(signed))

    @app.command("sign")
    @clear_errors
    def sign_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                     meaning: str = typer.Option(..., "--meaning", help="reviewed or approved."),
                     yes: bool = typer.Option(False, "--yes", help="Confirm you read this exact text."),
                     password_stdin: bool = typer.Option(False, "--password-stdin"),
                     fmt: OutputFormat = FormatOption) -> None:
        """Sign the latest version of DRAFT_ID (re-enter your password; the signature is recorded)."""
        if meaning not in ("reviewed", "approved"):
            fail("--meaning must be reviewed or approved")
        sign(ctx, draft_id, meaning, yes, password_stdin, fmt)

    @app.command("approve")
    @clear_errors
    def approve_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                        yes: bool = typer.Option(False, "--yes", help="Confirm you read this exact text."),
                        password_stdin: bool = typer.Option(False, "--password-stdin"),
                        fmt: OutputFormat = FormatOption) -> None:
        """Sign off DRAFT_ID as its owner: the 'approved' signature (needs your password again)."""
        sign(ctx, draft_id, "approved", yes, password_stdin, fmt)


def _registry_commands(app: typer.Typer) -> None:
    @app.command("export")
    @clear_errors
    def export_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                       registry: Optional[Path] = typer.Option(None, "--registry", help="Default: settings."),
                       version: Optional[int] = typer.Option(None, "--version", help="Default: the latest."),
                       no_git: bool = typer.Option(False, "--no-git", help="Do not commit to a git registry."),
                       fmt: OutputFormat = FormatOption) -> None:
        """Export an approved, signed version to the registry (Markdown, DOCX, JSON, manifest; git commit)."""
        svc = services(ctx)
        result = svc.signoff.export(current_identity(ctx), draft_id, registry_dir=registry, version=version,
                                    git_commit=False if no_git else None)
        emit(fmt, result, lines([f"Exported {result.sop_id} {result.doc_version} to {result.directory}"
                                 + (f" (commit {result.commit[:10]})" if result.commit else "")], ""))

    @app.command("due")
    def due_command(ctx: typer.Context,
                    within: Optional[int] = typer.Option(None, "--within", min=0, help="Days ahead (default 30)."),
                    today: Optional[datetime] = typer.Option(None, "--today", formats=["%Y-%m-%d"],
                                                             help="Pretend today is this date."),
                    fmt: OutputFormat = FormatOption) -> None:
        """SOPs whose review is overdue, due soon, or brought forward by source drift."""
        svc = services(ctx)
        days = svc.settings.registry.due_within_days if within is None else within
        items = svc.signoff.due(today.date() if today else date.today(), days)
        emit(fmt, items, lines([f"{i.reason:12} {i.sop_id} {i.title}  owner {i.owner}  review "
                                f"{i.next_review_date} ({i.days_left:+d} d)" for i in items],
                               f"Nothing due within {days} days."))

    @app.command("drift")
    @clear_errors
    def drift_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Flag approved SOPs whose cited sources changed or were deleted since approval."""
        items = services(ctx).signoff.check_drift(current_identity(ctx))
        emit(fmt, items, lines([f"{i.sop_id} {i.title}: source {i.source} {i.change}" for i in items],
                               "No source drift."))

    @app.command("verify")
    def verify_command(registry: Path = typer.Argument(..., help="An exported registry folder."),
                       fmt: OutputFormat = FormatOption) -> None:
        """Check every exported SOP's files, content hash and signatures offline (exit 1 on any mismatch)."""
        from app.registry.verify import verify_registry

        if not registry.is_dir():
            fail(f"{registry} is not a folder")
        report = verify_registry(registry)
        summary = [f"registry verified: {report.versions} versions, {report.signatures} signatures"] if report.ok \
            else ["REGISTRY DOES NOT VERIFY:", *(f"- {p}" for p in report.problems)]
        emit(fmt, report, lines(summary, ""))
        if not report.ok:
            raise typer.Exit(1)


def _audit_commands(app: typer.Typer) -> None:
    group = typer.Typer(help="The keyed, hash-chained audit log.", no_args_is_help=True)
    app.add_typer(group, name="audit")

    @group.command("verify")
    def verify_command(ctx: typer.Context,
                       registry: Optional[Path] = typer.Option(None, "--registry",
                                                               help="Also check the head anchored by exports there."),
                       fmt: OutputFormat = FormatOption) -> None:
        """Check that no history was edited, deleted or rewritten (exit 1 if it was)."""
        from app.registry.verify import anchor_problems

        if registry is not None and not registry.is_dir():
            fail(f"{registry} is not a registry folder")
        store = services(ctx).store
        report = store.verify_audit()
        if registry is not None:
            report.problems += anchor_problems(registry, store.audit_row_hash)
            report.ok = not report.problems
        summary = [f"audit log intact: {report.entries} entries, head {report.head_hash[:16]}"] if report.ok \
            else ["AUDIT LOG TAMPERED:", *(f"- {p}" for p in report.problems)]
        emit(fmt, report, lines(summary, ""))
        if not report.ok:
            raise typer.Exit(1)

    @group.command("show")
    def show_command(ctx: typer.Context, limit: int = typer.Option(20, "--limit", min=1),
                     fmt: OutputFormat = FormatOption) -> None:
        """The newest audit entries (who is the user id and printed name)."""
        entries = services(ctx).store.audit_log(limit)
        emit(fmt, entries, lines([f"{e.seq:5} {e.at:%Y-%m-%d %H:%M:%S} {e.who:34} {e.action:22} {e.draft_id} "
                                  f"{'v' + str(e.version) if e.version else ''}" for e in entries], "No entries."))


def register(app: typer.Typer) -> None:
    """Add the review, sign-off, export and audit commands."""
    _list_commands(app)
    _review_commands(app)
    _registry_commands(app)
    _audit_commands(app)
