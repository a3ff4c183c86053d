"""Word documents: headings, paragraphs, list items and tables, in document order."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ingest.loaders.base import ExtractedDoc, LoadError
from ingest.loaders.budget import Budget

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)
# Compression ratio above which a large member is taken for a ZIP bomb (Word's XML is 5-30x).
MAX_RATIO = 200
_RATIO_FROM_BYTES = 1024 * 1024


def check_expansion(path: Path, data: bytes, max_expanded_mb: float) -> None:
    """Refuse a DOCX whose members would expand past ``max_expanded_mb`` or compress implausibly well.

    The sizes come from the ZIP directory; ``zipfile`` never inflates a member past its declared
    size (a lying entry fails its CRC check), so they bound what parsing can allocate.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
    except zipfile.BadZipFile as exc:
        raise LoadError(path, f"corrupt or unreadable DOCX (BadZipFile: {str(exc)[:120]})") from None
    total = sum(m.file_size for m in members)
    if total > max_expanded_mb * 1024 * 1024:
        raise LoadError(path, f"expands to {total / 1048576:.0f} MB when unzipped, over the "
                              f"{max_expanded_mb:g} MB limit (ingest.max_expanded_mb)")
    for m in members:
        if m.file_size > _RATIO_FROM_BYTES and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise LoadError(path, f"member {m.filename} expands {m.file_size // max(m.compress_size, 1)}-fold "
                                  f"(over {MAX_RATIO}-fold): a ZIP bomb, not a Word document")


def load(path: Path, data: bytes, budget: Budget | None = None) -> ExtractedDoc:
    """The document rendered as light Markdown (``#`` headings, ``-`` items, ``|`` table rows)."""
    import docx
    from docx.table import Table

    budget = budget or Budget(path)
    check_expansion(path, data, budget.max_expanded_mb)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = []
        for item in document.iter_inner_content():
            blocks.append(_table(item) if isinstance(item, Table) else _paragraph(item))
            if len(blocks) % 256 == 0:
                budget.check()
        title = document.core_properties.title or ""
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(path, f"corrupt or unreadable DOCX ({type(exc).__name__}: {str(exc)[:120]})") from None
    except Exception as exc:  # noqa: BLE001 - lxml raises many parse error types on damaged XML
        if type(exc).__module__.startswith(("lxml", "docx")):
            raise LoadError(path, f"corrupt DOCX ({type(exc).__name__}: {str(exc)[:120]})") from None
        raise
    text = "\n\n".join(b for b in blocks if b)
    return ExtractedDoc(text=text, kind="docx", title=title, structured=True)


def _paragraph(paragraph) -> str:  # type: ignore[no-untyped-def]
    text = paragraph.text.strip()
    if not text:
        return ""
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style.lower() == "title":
        return f"# {text}"
    match = _HEADING_STYLE.match(style)
    if match:
        return f"{'#' * int(match.group(1))} {text}"
    if "list" in style.lower() or paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None:
        return f"- {text}"
    return text


def _table(table) -> str:  # type: ignore[no-untyped-def]
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(cell.text.split())
            # Merged cells repeat the same cell object; keep one copy per row.
            if not cells or cells[-1] != value:
                cells.append(value)
        if any(cells):
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
