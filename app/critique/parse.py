"""Read an SOP file (Markdown, DOCX or JSON) into the template model.

``parse_markdown`` reads the canonical export format of ``docs/sop-markdown.md`` exactly
and the common hand-written variants; ``parse_docx`` reads Word files the same way;
``load_sop`` picks by extension. Bad input raises :class:`SOPParseError` naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from app.critique.assemble import assemble_document
from app.critique.blocks import Block, SOPParseError, docx_blocks, markdown_blocks, split_front_matter
from app.critique.document import Document
from app.critique.layout import load_layout
from app.models import SOP

SUFFIXES = (".md", ".markdown", ".docx", ".json")

__all__ = ["SOPParseError", "SUFFIXES", "load_document", "load_sop", "parse_docx", "parse_json", "parse_markdown",
           "read_markdown"]


def _document(blocks: list[Block], front: dict, fallback_title: str, by_meaning: bool) -> Document:
    """Assemble ``blocks``; headings no synonym knows are mapped by meaning when ``by_meaning``."""
    mapped = {}
    if by_meaning:
        from app.critique.meaning import meaning
        from app.critique.sections import headings_by_meaning

        mapped = headings_by_meaning(blocks, load_layout(), meaning())
    return assemble_document(blocks, front, fallback_title, mapped)


def read_markdown(text: str, *, source: str = "<markdown>", fallback_title: str = "Untitled SOP",
                  by_meaning: bool = True) -> Document:
    """A :class:`Document` from Markdown text (canonical export or a hand-written variant)."""
    front, body = split_front_matter(text, source)
    return _document(markdown_blocks(body), front, fallback_title, by_meaning)


def parse_markdown(text: str, *, source: str = "<markdown>", fallback_title: str = "Untitled SOP",
                   by_meaning: bool = True) -> SOP:
    """An SOP from Markdown text (canonical export or a hand-written variant)."""
    return read_markdown(text, source=source, fallback_title=fallback_title, by_meaning=by_meaning).sop


def read_docx(path: Path, *, by_meaning: bool = True) -> Document:
    """A :class:`Document` from a Word file: headings by style, list paragraphs, tables in body order."""
    path = Path(path)
    return _document(docx_blocks(path), {}, path.stem.replace("-", " ").replace("_", " "), by_meaning)


def parse_docx(path: Path) -> SOP:
    """An SOP from a Word file: headings by style, list paragraphs, tables in body order."""
    return read_docx(path).sop


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


def load_document(path: Path, *, by_meaning: bool = True) -> Document:
    """The SOP in ``path`` (.md, .markdown, .docx or .json) with its source passages."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SOPParseError(f"{path}: unsupported file type '{suffix}' (use {', '.join(SUFFIXES)})")
    if suffix == ".docx":
        return read_docx(path, by_meaning=by_meaning)
    if suffix == ".json":
        return Document.from_sop(parse_json(path))
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SOPParseError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise SOPParseError(f"{path}: cannot read file: {exc.strerror}") from exc
    return read_markdown(text, source=str(path), fallback_title=path.stem.replace("-", " ").replace("_", " "),
                         by_meaning=by_meaning)


def load_sop(path: Path) -> SOP:
    """The SOP in ``path`` (.md, .markdown, .docx or .json)."""
    return load_document(path).sop
