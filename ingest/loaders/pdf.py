"""PDF: one text span per page, refusing encrypted and image-only files."""

from __future__ import annotations

import io
from pathlib import Path

from ingest.loaders.base import ExtractedDoc, LoadError
from ingest.loaders.budget import Budget


def load(path: Path, data: bytes, budget: Budget | None = None) -> ExtractedDoc:
    """The text layer of every page, pages separated by a blank line, with page spans."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(path, "encrypted PDF (a password is required); save an unencrypted copy")
        pages: list[tuple[int, str]] = []
        chars = 0
        for n, page in enumerate(reader.pages, start=1):
            pages.append((n, page.extract_text() or ""))
            chars += len(pages[-1][1])
            if budget is not None:
                budget.check(chars)
    except LoadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        # pypdf signals damaged files with its own errors and with plain ones from its parser.
        raise LoadError(path, f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []
    offset = 0
    for number, raw in pages:
        page_text = "\n".join(line.rstrip() for line in raw.strip().splitlines())
        if not page_text:
            continue
        if parts:
            offset += 2
        spans.append((number, offset, offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text)
    if not parts:
        raise LoadError(path, f"PDF has {len(pages)} page(s) but no text layer (scanned or image-only); run OCR first")
    title = ""
    try:
        title = str((reader.metadata or {}).get("/Title") or "")
    except PyPdfError:
        pass
    return ExtractedDoc(text="\n\n".join(parts), kind="pdf", title=title, pages=spans,
                        metadata={"pages": len(pages)})
