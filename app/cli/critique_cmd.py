"""``sopdraft critique``: lint a stored draft, an SOP file, or a folder of SOPs.

Exit codes: 0 no blocker, 1 at least one (non-advisory) blocker, 2 the input or the rules
file could not be read.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from app.cli.common import FormatOption, OutputFormat, console, emit, fail, services
from app.models import Flag

SEVERITY_STYLE = {"blocker": "bold red", "warning": "yellow", "info": "dim"}
AiOption = typer.Option(None, "--ai/--no-ai", help="Force the AI-specific rules on or off (default: detect; "
                        "front matter `ai: true/false` also decides).")


def flag_json(flag: Flag) -> dict[str, str]:
    """The public JSON shape of one finding (see ``app.critique.report.flag_json``)."""
    from app.critique.report import flag_json as shape

    return shape(flag)


def counts(flags: list[Flag]) -> dict[str, int]:
    """Number of findings per severity."""
    return {s: sum(f.severity == s for f in flags) for s in ("blocker", "warning", "info")}


def render_flags(title: str, flags: list[Flag]) -> None:
    """Print one SOP's findings, one block per finding (readable in a narrow terminal)."""
    tally = ", ".join(f"{s}: {n}" for s, n in counts(flags).items() if n) or "no findings"
    console.print(f"[bold]{escape(title)}[/]: {tally}", highlight=False)
    for f in flags:
        style = SEVERITY_STYLE[f.severity]
        advisory = " (advisory)" if f.advisory else ""
        console.print(f"  [{style}]{f.severity.upper()}[/] {escape(f.rule)}{advisory} [dim]\\[{escape(f.section)}][/]",
                      highlight=False)
        console.print(f"    {escape(f.message)}", highlight=False)
        if f.evidence:
            console.print(f"    [dim]evidence:[/] {escape(f.evidence)}", highlight=False)
        console.print(f"    [dim]fix:[/] {escape(f.suggestion)}", highlight=False)


def _with_advisory(ctx: typer.Context, sop, flags: list[Flag]) -> list[Flag]:
    svc = services(ctx)
    if not svc.settings.critique.llm_advisory:
        return flags
    from app.critique import sort_flags
    from app.critique.advisory import advisory_findings

    return sort_flags(flags + advisory_findings(sop, svc.llm, svc.settings.data_dir / "critique-cache",
                                                known_names=svc.settings.privacy.known_names))


def _critique_target(ctx: typer.Context, target: str, today: date | None, ai: bool | None) -> dict:
    """The JSON result for one file or stored draft (flags, applies_to_ai and its evidence)."""
    from app.critique import critique_document, critique_draft
    from app.critique.applicability import detect_ai
    from app.critique.document import Document
    from app.critique.parse import SOPParseError, load_document
    from app.critique.report import flag_json, result_json

    catalogue = services(ctx).catalogue
    path = Path(target)
    if path.is_file():
        try:
            doc = load_document(path)
        except SOPParseError as exc:
            fail(str(exc))
        result = critique_document(doc, catalogue, today=today, ai=ai)
        result.flags = _with_advisory(ctx, doc.sop, result.flags)
        return result_json(result)
    from app.registry.errors import NotFound, RegistryError

    try:
        draft = services(ctx).store.get_draft(target).draft
    except NotFound:
        fail(f"no such draft or file: {target}")
    except RegistryError as exc:  # e.g. an unreadable stored version: say so, not "no such draft"
        fail(" ".join(str(exc).split()))
    flags = _with_advisory(ctx, draft.sop, critique_draft(draft, catalogue, today=today))
    applicability = detect_ai(Document.from_sop(draft.sop), ai)
    return {"flags": [flag_json(f) for f in flags], "applies_to_ai": applicability.applies_to_ai,
            "ai_evidence": applicability.evidence, "ai_decided_by": applicability.decided_by, "headings": []}


def render_summary(lint) -> None:
    """The folder table (one row per file) and the per-rule counts."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="SOPs", show_lines=False)
    for column in ("file", "blockers", "warnings", "AI", "rules"):
        table.add_column(column)
    for path, result in lint.files:
        n = counts(result.flags)
        rules = ", ".join(sorted({f.rule for f in result.flags if f.severity != "info"})) or "-"
        table.add_row(escape(str(path)), str(n["blocker"]), str(n["warning"]), "yes" if result.applies_to_ai else "no",
                      escape(rules))
    console.print(table)
    summary = lint.summary()
    per_rule = Table(title="Findings per rule")
    for column in ("rule", "findings", "files"):
        per_rule.add_column(column)
    for rule, c in summary["per_rule"].items():
        per_rule.add_row(rule, str(c["findings"]), str(c["files"]))
    console.print(per_rule)
    for error in summary["errors"]:
        console.print(f"[red]unreadable:[/] {escape(error)}", highlight=False)
    console.print(f"{summary['files']} files: {summary['blocker']} blockers, {summary['warning']} "
                  f"warnings, {summary['info']} info; {summary['files_with_blockers']} files blocked; "
                  f"AI rules applied to {summary['files_applying_ai_rules']}")


def _run_folder(ctx: typer.Context, folder: Path, day: date | None, fmt: OutputFormat, ai: bool | None,
                report: Path | None, details: bool) -> int:
    """Lint every SOP file in ``folder``; the exit code."""
    from app.critique.report import lint_folder, write_report

    lint = lint_folder(folder, services(ctx).catalogue, today=day, ai=ai)
    if report is not None:
        write_report(lint, report)

    def render() -> None:
        if details:
            for path, result in lint.files:
                render_flags(str(path), result.flags)
        render_summary(lint)
        if report is not None:
            console.print(f"report written to {report}")

    emit(fmt, lint.as_json(), render)
    summary = lint.summary()
    if summary["errors"]:
        return 2
    return 1 if summary["blocker"] else 0


def _parse_day(today: str | None) -> date | None:
    try:
        return date.fromisoformat(today) if today else None
    except ValueError:
        fail(f"--today must be a date like 2026-11-27, not {today!r}")


def register(app: typer.Typer) -> None:
    """Add the ``critique`` command to ``app``."""

    @app.command("critique")
    def critique_command(
        ctx: typer.Context,
        target: str = typer.Argument(..., help="A draft id, an SOP file (.md, .docx, .json) or a folder of them."),
        today: Optional[str] = typer.Option(None, "--today", help="Date for review-overdue checks (YYYY-MM-DD)."),
        ai: Optional[bool] = AiOption,
        report: Optional[Path] = typer.Option(None, "--report", help="Folder only: write a report (.html, else JSON)."),
        details: bool = typer.Option(False, "--details", help="Folder only: print every finding, not just the table."),
        fmt: OutputFormat = FormatOption,
    ) -> None:
        """Flag vague language and missing controls. Exit 1 when a blocker remains."""
        from app.critique.catalogue import CatalogueError

        day = _parse_day(today)
        try:
            services(ctx).catalogue
        except CatalogueError as exc:
            fail(str(exc))
        if Path(target).is_dir():
            raise typer.Exit(_run_folder(ctx, Path(target), day, fmt, ai, report, details))
        data = _critique_target(ctx, target, day, ai)
        flags = [Flag.model_validate({**f, "advisory": False}) for f in data["flags"]]

        def render() -> None:
            render_flags(target, flags)
            evidence = "; ".join(data["ai_evidence"]) or "no AI or automated tool mentioned"
            console.print(f"  [dim]applies_to_ai: {str(data['applies_to_ai']).lower()} ({evidence})[/]",
                          highlight=False)

        emit(fmt, data, render)
        raise typer.Exit(1 if any(f["severity"] == "blocker" for f in data["flags"]) else 0)
