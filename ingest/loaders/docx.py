"""Word documents: headings, paragraphs, list items and tables, in document order."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ingest.loaders.base import ExtractedDoc, LoadError

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.I)


def load(path: Path, data: bytes) -> ExtractedDoc:
    """The document rendered as light Markdown (``#`` headings, ``-`` items, ``|`` table rows)."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [
            _table(item) if isinstance(item, Table) else _paragraph(item)
            for item in document.iter_inner_content()
        ]
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
