"""`sopdraft ingest` and `sopdraft search`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer
from rich.markup import escape

from app.cli.common import FormatOption, OutputFormat, console, emit, err_console, fail, literal, services

if TYPE_CHECKING:
    from ingest.models import IngestProgress, IngestReport, SearchHit

SEARCH_FIELDS = ("source", "page", "heading", "chunk_id", "score", "text")


def register(app: typer.Typer) -> None:
    """Add the ingest and search commands to ``app``."""
    app.command("ingest")(ingest)
    app.command("search")(search)


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Files or folders of notes (PDF, DOCX, Markdown, HTML, text)."),
    full: bool = typer.Option(False, "--full", help="Rebuild the index from scratch instead of updating it."),
    follow_links: bool = typer.Option(False, "--follow-links",
                                      help="Also index what links in a folder point to outside it."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Index process notes for drafting. Exit code 0 = all files ok, 3 = some failed, 4 = all failed."""
    from ingest.embeddings import EmbeddingModelError
    from ingest.index import IngestBusy

    try:
        index = services(ctx).index
        with ProgressBar() as on_progress:
            report = index.ingest(paths, full=full, progress=on_progress, follow_links=follow_links)
    except (EmbeddingModelError, IngestBusy) as exc:
        fail(str(exc))
    for failed in (f for f in report.files if f.status == "failed"):
        err_console.print(f"[red]failed[/] {literal(failed.path)}: {literal(failed.reason)}", highlight=False,
                          soft_wrap=True)
    emit(fmt, report, lambda: _print_summary(report))
    raise typer.Exit(report.exit_code)


def _print_summary(report: "IngestReport") -> None:
    console.print(
        f"{report.count('ingested')} ingested ({report.chunks_added} chunks), {report.count('unchanged')} unchanged, "
        f"{report.count('removed')} removed, {report.count('failed')} failed in {report.duration_s:.1f}s; "
        f"the index holds {report.chunks_total} chunks.",
        highlight=False,
    )


class ProgressBar:
    """A rich progress bar on stderr (files, chunks, chunk rate, ETA); a no-op when stderr is not a terminal."""

    def __init__(self) -> None:
        self.enabled = err_console.is_terminal
        self._progress = None
        self._task = None
        self._started = time.perf_counter()

    def __enter__(self) -> Callable[["IngestProgress"], None] | None:
        if not self.enabled:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        # The bar and ETA follow the estimated share done (files finish a batch at a time).
        self._progress = Progress(
            TextColumn("ingest"), BarColumn(), TextColumn("{task.fields[files]} files"),
            TextColumn("{task.fields[chunks]} chunks ({task.fields[rate]:.1f}/s)"),
            TimeRemainingColumn(), TextColumn("{task.fields[current]}", style="dim", markup=False),
            console=err_console, transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("ingest", total=1.0, files="0/?", chunks=0, rate=0.0, current="")
        return self._update

    def _update(self, p: "IngestProgress") -> None:
        rate = p.chunks_done / max(time.perf_counter() - self._started, 1e-6)
        self._progress.update(  # type: ignore[union-attr]
            self._task, completed=p.fraction, files=f"{p.files_done}/{p.files_total}",
            chunks=p.chunks_done, rate=rate, current=p.current[-40:],
        )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="What to look for in the indexed notes."),
    k: Optional[int] = typer.Option(None, "--k", min=1, max=100, help="How many chunks (default: retrieval.k)."),
    source: Optional[list[str]] = typer.Option(None, "--source", help="Only search these sources (repeatable)."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Find the chunks of the indexed notes closest to QUERY."""
    from ingest.embeddings import EmbeddingModelError

    svc = services(ctx)
    try:
        hits = svc.index.search(query, k or svc.settings.retrieval.k, sources=source or None)
    except EmbeddingModelError as exc:
        fail(str(exc))
    payload = {"hits": [h.model_dump(include=set(SEARCH_FIELDS)) for h in hits]}
    emit(fmt, payload, lambda: _print_hits(hits))


def _print_hits(hits: list["SearchHit"]) -> None:
    if not hits:
        console.print("No matching chunks (is anything ingested? try `sopdraft ingest PATH`).")
    for hit in hits:
        where = f"{hit.source}" + (f" p.{hit.page}" if hit.page else "") + (f" — {hit.heading}" if hit.heading else "")
        console.print(f"[bold]{hit.score:.3f}[/] [cyan]{escape(hit.chunk_id)}[/] {escape(where)}", highlight=False)
        console.print("    " + " ".join(hit.text.split())[:300], highlight=False, markup=False)
