"""The extracted-document record, the load error, and content-based type detection."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Kind = Literal["pdf", "docx", "html", "markdown", "text"]

# Possessive and atomic parts: with ``(<!--.*?-->\s*)*`` a run of comments not followed by a
# tag was tried in exponentially many splits (40 empty comments took minutes).
_HTML_START = re.compile(rb"^\s*+(?:<!--(?:(?!-->).)*+-->\s*+)*+<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_MARKDOWN_SUFFIXES = {".md", ".markdown"}
_HTML_SUFFIXES = {".html", ".htm"}


class LoadError(Exception):
    """A file that cannot be ingested; ``str()`` is one line naming the file and the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class ExtractedDoc:
    """The text of one file.

    ``structured`` means Markdown-style ``#`` headings in ``text`` are real headings (Markdown,
    and DOCX/HTML rendered to it); ``pages`` gives ``(page, start, end)`` spans for PDFs.
    """

    text: str
    kind: Kind
    title: str = ""
    structured: bool = False
    pages: list[tuple[int, int, int]] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def detect_kind(path: Path, data: bytes) -> Kind:
    """The file's type from its leading bytes, falling back on the suffix for text formats."""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if _is_word_zip(data):
            return "docx"
        raise LoadError(path, "ZIP archive that is not a Word (.docx) document")
    suffix = path.suffix.lower()
    if suffix in _HTML_SUFFIXES or _HTML_START.match(data[:4096]):
        return "html"
    if suffix == ".pdf":
        raise LoadError(path, "named .pdf but is not a PDF (no %PDF header); the file is corrupt or mislabelled")
    if suffix == ".docx":
        raise LoadError(path, "named .docx but is not a Word document (not a ZIP); the file is corrupt or mislabelled")
    if suffix in _MARKDOWN_SUFFIXES or data.startswith(b"---\n") or data.startswith(b"---\r\n"):
        return "markdown"
    return "text"


def _is_word_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False
