"""``sopdraft log``: show the LLM call log."""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from app.cli.common import FormatOption, OutputFormat, console, emit, services


def _redaction_summary(redactions: list) -> str:
    counts: dict[str, int] = {}
    for r in redactions:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    return ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "-"


def _tokens(value: Optional[int]) -> str:
    return "-" if value is None else str(value)


def register(app: typer.Typer) -> None:
    """Add the ``log`` command to ``app``."""

    @app.command("log")
    def log_command(
        ctx: typer.Context,
        limit: Optional[int] = typer.Option(20, "--limit", "-n", min=1, help="Show at most N calls, newest first."),
        fmt: OutputFormat = FormatOption,
    ) -> None:
        """Show the log of LLM calls: who was called, why, what was sent and redacted."""
        from rich.table import Table

        calls = services(ctx).call_log.read(limit=limit)

        def render() -> None:
            if not calls:
                console.print("No LLM calls recorded yet.")
                return
            table = Table(title=f"LLM calls (newest first, {len(calls)} shown)")
            for column in ("time", "provider", "model", "purpose", "policy", "chunks", "redacted",
                           "tokens in/out", "seconds", "result"):
                table.add_column(column)
            for c in calls:
                cells = (c.time.strftime("%Y-%m-%d %H:%M:%S"), c.provider, c.model, c.purpose, c.policy,
                         str(len(c.chunk_ids)), _redaction_summary(c.redactions),
                         f"{_tokens(c.input_tokens)}/{_tokens(c.output_tokens)}", f"{c.duration_s:.2f}")
                table.add_row(*map(escape, cells), "ok" if c.ok else f"[red]failed[/]: {escape(c.error or '')}")
            console.print(table)

        emit(fmt, {"calls": calls}, render)
