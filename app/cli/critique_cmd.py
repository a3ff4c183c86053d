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

FLAG_KEYS = ("rule", "severity", "section", "message", "evidence", "suggestion")
SEVERITY_STYLE = {"blocker": "bold red", "warning": "yellow", "info": "dim"}


def flag_json(flag: Flag) -> dict[str, str]:
    """The public JSON shape of one finding."""
    return {k: getattr(flag, k) for k in FLAG_KEYS}


def sop_files(folder: Path) -> list[Path]:
    """SOP files in ``folder`` and below (hidden folders and labelled-set sidecars skipped)."""
    from app.critique.parse import SUFFIXES

    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.name not in ("index.json", "INDEX.md", "README.md")
    )


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

    return sort_flags(flags + advisory_findings(sop, svc.chat_model, svc.settings.data_dir / "critique-cache"))


def _critique_target(ctx: typer.Context, target: str, today: date | None) -> list[Flag]:
    from app.critique import critique, critique_draft
    from app.critique.parse import SOPParseError, load_sop

    catalogue = services(ctx).catalogue
    path = Path(target)
    if path.is_file():
        try:
            sop = load_sop(path)
        except SOPParseError as exc:
            fail(str(exc))
        return _with_advisory(ctx, sop, critique(sop, catalogue, today=today))
    from app.registry.errors import NotFound, RegistryError

    try:
        draft = services(ctx).store.get_draft(target).draft
    except NotFound:
        fail(f"no such draft or file: {target}")
    except RegistryError as exc:  # e.g. an unreadable stored version: say so, not "no such draft"
        fail(" ".join(str(exc).split()))
    return _with_advisory(ctx, draft.sop, critique_draft(draft, catalogue, today=today))


def _lint_folder(ctx: typer.Context, folder: Path, today: date | None) -> tuple[list[dict], dict]:
    from app.critique import critique
    from app.critique.parse import SOPParseError, load_sop

    catalogue = services(ctx).catalogue
    files: list[dict] = []
    errors: list[str] = []
    for path in sop_files(folder):
        try:
            flags = critique(load_sop(path), catalogue, today=today)
        except SOPParseError as exc:
            errors.append(str(exc))
            continue
        files.append({"path": str(path), "flags": flags})
    totals = counts([f for entry in files for f in entry["flags"]])
    summary = {"files": len(files), **totals,
               "files_with_blockers": sum(any(f.severity == "blocker" for f in e["flags"]) for e in files),
               "errors": errors}
    return files, summary


def _run_folder(ctx: typer.Context, folder: Path, day: date | None, fmt: OutputFormat) -> int:
    """Lint every SOP file in ``folder``; the exit code."""
    files, summary = _lint_folder(ctx, folder, day)
    data = {"files": [{"path": e["path"], "flags": [flag_json(f) for f in e["flags"]]} for e in files],
            "summary": summary}

    def render() -> None:
        for entry in files:
            render_flags(entry["path"], entry["flags"])
        for error in summary["errors"]:
            console.print(f"[red]unreadable:[/] {escape(error)}", highlight=False)
        console.print(f"{summary['files']} files: {summary['blocker']} blockers, {summary['warning']} "
                      f"warnings, {summary['info']} info; {summary['files_with_blockers']} files blocked")

    emit(fmt, data, render)
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
        fmt: OutputFormat = FormatOption,
    ) -> None:
        """Flag vague language and missing controls. Exit 1 when a blocker remains."""
        from app.critique import blockers
        from app.critique.catalogue import CatalogueError

        day = _parse_day(today)
        try:
            services(ctx).catalogue
        except CatalogueError as exc:
            fail(str(exc))
        if Path(target).is_dir():
            raise typer.Exit(_run_folder(ctx, Path(target), day, fmt))
        flags = _critique_target(ctx, target, day)
        emit(fmt, {"flags": [flag_json(f) for f in flags]}, lambda: render_flags(target, flags))
        raise typer.Exit(1 if blockers(flags) else 0)
