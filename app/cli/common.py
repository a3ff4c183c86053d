"""Helpers shared by every CLI command: services from the context, output formats, errors."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Callable

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape

from app.services import Services


class OutputFormat(str, Enum):
    """How a command prints its result."""

    text = "text"
    json = "json"


FormatOption = typer.Option(OutputFormat.text, "--format", help="text for people, json for machines.")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def services(ctx: typer.Context) -> Services:
    """The process-wide services built by the root callback."""
    return ctx.find_root().obj


def to_jsonable(data: Any) -> Any:
    """Pydantic models (and lists/dicts of them) to plain JSON-able data."""
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, dict):
        return {k: to_jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [to_jsonable(v) for v in data]
    return data


def emit(fmt: OutputFormat, data: Any, render_text: Callable[[], None]) -> None:
    """Print ``data`` as JSON, or call ``render_text`` for people."""
    if fmt == OutputFormat.json:
        typer.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2, default=str))
    else:
        render_text()


def literal(text: str) -> str:
    """``text`` safe to print through Rich on one line: markup escaped, control characters
    (a newline in a file name) shown as escapes."""
    return escape("".join(c if c.isprintable() else repr(c)[1:-1] for c in text))


def fail(message: str, code: int = 2) -> None:
    """Print a clear error (no stack trace) and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)
