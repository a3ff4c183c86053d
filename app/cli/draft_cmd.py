"""``sopdraft draft``: draft an SOP from the indexed sources, with live progress."""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from app.cli.common import FormatOption, OutputFormat, console, current_identity, emit, err_console, fail, services
from app.models import SECTION_TITLES
from app.ui.section_text import section_to_text


def _print_draft(record) -> None:  # noqa: ANN001 - a DraftRecord
    draft = record.draft
    console.print(f"[bold]{escape(draft.sop.title)}[/]  draft [cyan]{draft.draft_id}[/] v{record.version} "
                  f"({escape(draft.provider)}/{escape(draft.model)}, {draft.duration_s:.0f} s)", highlight=False)
    for section, ids in draft.evidence.items():
        console.print(escape(f"  {SECTION_TITLES.get(section, section):28} evidence: {', '.join(ids) or '-'}"),
                      highlight=False)
    for flag in draft.flags:
        console.print(f"  [{'red' if flag.severity == 'blocker' else 'yellow'}]{flag.severity:7}[/] "
                      + escape(f"{flag.rule:18} {flag.section}: {flag.message}"), highlight=False)
    console.print(f"Next: [bold]sopdraft critique {draft.draft_id}[/], then approve with a named owner.")


def register(app: typer.Typer) -> None:
    """Add the ``draft`` and ``regenerate`` commands."""

    @app.command()
    def draft(
        ctx: typer.Context,
        task: str = typer.Argument(..., help='What the SOP is for, e.g. "Summarise internal meetings with AI".'),
        section: Optional[list[str]] = typer.Option(None, "--section", help="Only these sections (repeatable)."),
        fmt: OutputFormat = FormatOption,
    ) -> None:
        """Draft an SOP for TASK from the ingested sources and store it (you are its author)."""
        from app.drafting.service import create_draft

        svc = services(ctx)
        identity = current_identity(ctx)
        if svc.index.count() == 0:
            fail("the index is empty: run `sopdraft ingest PATH…` first")
        with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), TimeElapsedColumn(),
                      console=err_console, transient=True) as bar:
            job = bar.add_task("Starting", total=None)

            def on_progress(p) -> None:  # noqa: ANN001 - DraftProgress
                bar.update(job, description=p.message, completed=p.done, total=p.total or None)
                for key in p.finished if p.sop is not None else []:
                    # Each section as soon as it is drafted (stderr, so --format json stays clean).
                    bar.console.print(f"[bold]{SECTION_TITLES[key]}[/bold] (not yet verified)")
                    bar.console.print(section_to_text(p.sop, key) or "(nothing drafted)", markup=False, highlight=False)

            try:
                record = create_draft(svc, task, identity=identity, sections=section, progress=on_progress)
            except Exception as exc:  # noqa: BLE001 - shown as one clear line
                fail(f"drafting failed: {exc}")
        emit(fmt, {"draft_id": record.draft_id, "version": record.version, "draft": record.draft},
             lambda: _print_draft(record))

    @app.command()
    def regenerate(
        ctx: typer.Context,
        draft_id: str = typer.Argument(...),
        section: str = typer.Argument(..., help="Section key, e.g. approved_tools."),
        fmt: OutputFormat = FormatOption,
    ) -> None:
        """Redraft one SECTION of a draft with fresh evidence; the rest is kept (you are its author)."""
        from app.drafting.service import regenerate_section

        svc = services(ctx)
        identity = current_identity(ctx)
        try:
            current = svc.store.get_draft(draft_id)
            record = regenerate_section(svc, draft_id, section, identity=identity, expected_version=current.version)
        except Exception as exc:  # noqa: BLE001
            fail(str(exc))
        emit(fmt, {"draft_id": draft_id, "version": record.version, "draft": record.draft}, lambda: _print_draft(record))
