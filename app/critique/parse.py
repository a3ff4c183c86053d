"""Read an SOP file (Markdown, DOCX or JSON) into the template model.

``parse_markdown`` reads the canonical export format of ``docs/sop-markdown.md`` exactly
and the common hand-written variants; ``parse_docx`` reads Word files the same way;
``load_sop`` picks by extension. Bad input raises :class:`SOPParseError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from app.critique.assemble import assemble
from app.critique.blocks import SOPParseError, docx_blocks, markdown_blocks, split_front_matter
from app.models import SOP

SUFFIXES = (".md", ".markdown", ".docx", ".json")

__all__ = ["SOPParseError", "SUFFIXES", "load_sop", "parse_docx", "parse_json", "parse_markdown"]


def parse_markdown(text: str, *, source: str = "<markdown>", fallback_title: str = "Untitled SOP") -> SOP:
    """An SOP from Markdown text (canonical export or a hand-written variant)."""
    front, body = split_front_matter(text, source)
    return assemble(markdown_blocks(body), front, fallback_title)


def parse_docx(path: Path) -> SOP:
    """An SOP from a Word file: headings by style, list paragraphs, tables in body order."""
    path = Path(path)
    return assemble(docx_blocks(path), {}, path.stem.replace("-", " ").replace("_", " "))


def parse_json(path: Path) -> SOP:
    """An SOP from JSON: the SOP itself, a Draft (``{"sop": ...}``) or a registry export."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SOPParseError(f"{path}: not valid JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("sop"), dict):
        data = data["sop"]
    if not isinstance(data, dict) or "title" not in data:
        raise SOPParseError(f"{path}: JSON is neither an SOP nor an object with an 'sop' key")
    try:
        return SOP.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SOPParseError(f"{path}: not a valid SOP at '{where}': {first['msg']}") from exc


def load_sop(path: Path) -> SOP:
    """The SOP in ``path`` (.md, .markdown, .docx or .json)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SOPParseError(f"{path}: unsupported file type '{suffix}' (use {', '.join(SUFFIXES)})")
    if suffix == ".docx":
        return parse_docx(path)
    if suffix == ".json":
        return parse_json(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SOPParseError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise SOPParseError(f"{path}: cannot read file: {exc.strerror}") from exc
    return parse_markdown(text, source=str(path), fallback_title=path.stem.replace("-", " ").replace("_", " "))
