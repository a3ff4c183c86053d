"""Plain text: decoding with a sensible fallback, and refusing binary content."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.loaders.base import ExtractedDoc, LoadError

# C0/C1 control characters other than tab, newline, carriage return and form feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.001


def decode(path: Path, data: bytes) -> str:
    """Decode text as UTF-8 (BOM allowed), UTF-16 with a BOM, or Windows-1252; refuse binary data."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _try(data, "utf-16")
    elif b"\x00" in data[:65536]:
        raise LoadError(path, "binary content (NUL bytes), not a text document")
    else:
        text = _try(data, "utf-8-sig")
        if text is None:
            # Windows-1252 is the usual non-UTF-8 encoding of office notes; it is a superset of
            # Latin-1's printable range, so Latin-1 files decode the same way.
            text = _try(data, "cp1252")
    if text is None:
        raise LoadError(path, "text is neither UTF-8 nor Windows-1252/Latin-1; convert it to UTF-8")
    if len(_CONTROL.findall(text)) > max(2, len(text) * _MAX_CONTROL_RATIO):
        raise LoadError(path, "binary content (control characters), not a text document")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def load(path: Path, text: str) -> ExtractedDoc:
    """Plain text as it is."""
    return ExtractedDoc(text=text, kind="text")
