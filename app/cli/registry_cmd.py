"""Review, sign-off and registry commands: drafts, history, diff, submit, waive, approve, export, due,
drift, audit."""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Optional

import typer
from rich.markup import escape

from app.cli.common import FormatOption, OutputFormat, console, emit, fail, services
from app.registry.errors import RegistryError


def _clear_errors(command: Callable) -> Callable:
    """Turn registry errors into one clear line and exit code 2 (never a traceback)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003 - typer reads the wrapped signature
        try:
            return command(*args, **kwargs)
        except RegistryError as exc:
            # escape: rule names like [missing-scope] would otherwise be read as rich markup
            fail(escape(" ".join(str(exc).split("\n", 1)[0].split())))

    return wrapper


def _flags(ctx: typer.Context, draft) -> list:  # noqa: ANN001 - Draft
    from app.critique import critique_draft

    try:
        return critique_draft(draft, services(ctx).catalogue)
    except Exception as exc:  # noqa: BLE001 - e.g. a broken team catalogue: one clear line
        raise RegistryError(f"critique of {draft.draft_id} failed, so nothing can be waived or signed off: "
                            f"{exc}") from exc


def _indexed_source_hashes(svc) -> dict[str, str] | None:  # noqa: ANN001 - Services
    """Current source hashes, so re-approving after a drift records the sources as they are now.

    None when nothing was ingested (opening an empty index would only cost time).
    """
    if not (svc.settings.index_dir / "manifest.json").exists():
        return None
    try:
        return svc.index.source_hashes()
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        raise RegistryError(f"cannot read the current source hashes from the index: {exc}") from exc


def _lines(lines: list[str], empty: str) -> Callable[[], None]:
    """A text renderer printing ``lines`` (or ``empty`` when there are none)."""

    def render() -> None:
        for line in lines or [empty]:
            console.print(escape(line), highlight=False)

    return render


def _record_lines(record) -> Callable[[], None]:  # noqa: ANN001 - DraftRecord
    lines = [f"{record.draft_id} v{record.version}: {record.status} - {record.draft.sop.title}"]
    if record.approval:
        a = record.approval
        lines.append(f"  {a.sop_id} {a.doc_version}, owner {a.owner_name} ({a.owner_role}), approved by "
                     f"{a.approver}; next review {a.next_review_date}; content hash {a.content_hash}")
    return _lines(lines, "")


def _list_commands(app: typer.Typer) -> None:
    @app.command("drafts")
    def drafts_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """List drafts and SOPs with their state, version, owner and next review date."""
        rows = services(ctx).store.list_drafts()
        emit(fmt, rows, _lines([f"{r.draft_id}  v{r.version}  {r.status:10} {r.sop_id or '-':10} {r.title}  "
                                f"owner: {r.owner or '-'}  next review: {r.next_review_date or '-'}" for r in rows],
                               "No drafts yet: run `sopdraft draft TASK`."))

    @app.command("history")
    @_clear_errors
    def history_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                        fmt: OutputFormat = FormatOption) -> None:
        """Every version of DRAFT_ID: who, when, why, state and content hash."""
        rows = services(ctx).store.history(draft_id)
        emit(fmt, rows, _lines([f"v{v.version}  {v.created_at:%Y-%m-%d %H:%M}  {v.status:10} {v.author}: {v.reason}"
                                + (f"  (approved by {v.approved_by})" if v.approved_by else "") for v in rows], ""))

    @app.command("diff")
    @_clear_errors
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
    @_clear_errors
    def submit_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                       by: str = typer.Option(..., "--by", help="Who submits it for review."),
                       fmt: OutputFormat = FormatOption) -> None:
        """Send the latest version of DRAFT_ID for review."""
        from app.registry.workflow import submit_for_review

        record = submit_for_review(services(ctx).store, draft_id, author=by)
        emit(fmt, record, _record_lines(record))

    @app.command("waive")
    @_clear_errors
    def waive_command(ctx: typer.Context, draft_id: str = typer.Argument(...), flag_id: str = typer.Argument(...),
                      reason: str = typer.Option(..., "--reason", help="Why this finding is acceptable (written)."),
                      by: str = typer.Option(..., "--by", help="Full name of the person waiving it."),
                      fmt: OutputFormat = FormatOption) -> None:
        """Waive finding FLAG_ID of DRAFT_ID with a written reason (recorded and audited)."""
        from app.registry.workflow import waive

        store = services(ctx).store
        flags = _flags(ctx, store.get_draft(draft_id).draft)
        waiver = waive(store, draft_id, flag_id, reason=reason, author=by, flags=flags)
        emit(fmt, waiver, _lines([f"Waived {flag_id} [{waiver.rule}] on {draft_id} by {waiver.author}."], ""))

    @app.command("approve")
    @_clear_errors
    def approve_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                        owner: str = typer.Option("", "--owner", help='The owner\'s full name, e.g. "Dana Reyes".'),
                        role: str = typer.Option("", "--role", help="The owner's role."),
                        yes: bool = typer.Option(False, "--yes", help="Confirm the owner reviewed this exact text."),
                        approver: Optional[str] = typer.Option(None, "--approver", help="Default: the owner."),
                        fmt: OutputFormat = FormatOption) -> None:
        """Sign off the latest version of DRAFT_ID (needs owner, role, --yes and no unwaived blocker)."""
        from app.registry.workflow import approve, signoff_preview

        svc = services(ctx)
        record = svc.store.get_draft(draft_id)
        flags = _flags(ctx, signoff_preview(record.draft, owner, role))
        current = _indexed_source_hashes(svc)
        approved = approve(svc.store, draft_id, owner_name=owner, owner_role=role, confirm=yes, flags=flags,
                           approver=approver, expected_version=record.version, current_source_hashes=current)
        emit(fmt, approved, _record_lines(approved))


def _registry_commands(app: typer.Typer) -> None:
    @app.command("export")
    @_clear_errors
    def export_command(ctx: typer.Context, draft_id: str = typer.Argument(...),
                       registry: Optional[Path] = typer.Option(None, "--registry", help="Default: settings."),
                       version: Optional[int] = typer.Option(None, "--version", help="Default: the latest."),
                       no_git: bool = typer.Option(False, "--no-git", help="Do not commit to a git registry."),
                       by: Optional[str] = typer.Option(None, "--by", help="Who exports (default: the approver)."),
                       fmt: OutputFormat = FormatOption) -> None:
        """Export an approved version to the registry (Markdown, DOCX, JSON, index; git commit)."""
        from app.registry.export import export

        svc = services(ctx)
        cfg = svc.settings.registry
        result = export(svc.store, draft_id, registry or svc.settings.registry_dir, formats=tuple(cfg.formats),
                        templates_dir=cfg.templates_dir, git_commit=cfg.git_commit and not no_git,
                        version=version, actor=by)
        emit(fmt, result, _lines([f"Exported {result.sop_id} {result.doc_version} to {result.directory}"
                                  + (f" (commit {result.commit[:10]})" if result.commit else "")], ""))

    @app.command("due")
    def due_command(ctx: typer.Context,
                    within: Optional[int] = typer.Option(None, "--within", min=0, help="Days ahead (default 30)."),
                    today: Optional[datetime] = typer.Option(None, "--today", formats=["%Y-%m-%d"],
                                                             help="Pretend today is this date."),
                    fmt: OutputFormat = FormatOption) -> None:
        """SOPs whose review is overdue, due soon, or brought forward by source drift."""
        from app.registry.review import due

        svc = services(ctx)
        days = svc.settings.registry.due_within_days if within is None else within
        items = due(svc.store, today.date() if today else date.today(), days)
        emit(fmt, items, _lines([f"{i.reason:12} {i.sop_id} {i.title}  owner {i.owner}  review "
                                 f"{i.next_review_date} ({i.days_left:+d} d)" for i in items],
                                f"Nothing due within {days} days."))

    @app.command("drift")
    @_clear_errors
    def drift_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Flag approved SOPs whose cited sources changed or were deleted since approval."""
        from app.registry.review import check_drift

        svc = services(ctx)
        items = check_drift(svc.store, svc.index.source_hashes())
        emit(fmt, items, _lines([f"{i.sop_id} {i.title}: source {i.source} {i.change}" for i in items],
                                "No source drift."))


def _audit_commands(app: typer.Typer) -> None:
    group = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
    app.add_typer(group, name="audit")

    @group.command("verify")
    def verify_command(ctx: typer.Context, fmt: OutputFormat = FormatOption) -> None:
        """Check that no history was edited or deleted (exit 1 if it was)."""
        report = services(ctx).store.verify_audit()
        summary = [f"audit log intact: {report.entries} entries, head {report.head_hash[:16]}"] if report.ok \
            else ["AUDIT LOG TAMPERED:", *(f"- {p}" for p in report.problems)]
        emit(fmt, report, _lines(summary, ""))
        if not report.ok:
            raise typer.Exit(1)

    @group.command("show")
    def show_command(ctx: typer.Context, limit: int = typer.Option(20, "--limit", min=1),
                     fmt: OutputFormat = FormatOption) -> None:
        """The newest audit entries."""
        entries = services(ctx).store.audit_log(limit)
        emit(fmt, entries, _lines([f"{e.seq:5} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:20} {e.action:16} {e.draft_id} "
                                   f"{'v' + str(e.version) if e.version else ''}" for e in entries], "No entries."))


def register(app: typer.Typer) -> None:
    """Add the review, sign-off, export and audit commands."""
    _list_commands(app)
    _review_commands(app)
    _registry_commands(app)
    _audit_commands(app)
