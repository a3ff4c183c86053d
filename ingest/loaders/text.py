"""Plain text: decoding with a sensible fallback, and refusing binary content."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from ingest.loaders.base import ExtractedDoc, LoadError

# C0/C1 control characters other than tab, newline, carriage return and form feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.001
# Text in a Windows-1252 office note is mostly ASCII with a few accented letters; bytes of
# another encoding (or of no text at all) decoded as Windows-1252 are mostly not.
_MIN_ASCII_SHARE_CP1252 = 0.75
# Any text: characters a person can read (not unassigned, private-use or format codes).
_MIN_PRINTABLE_SHARE = 0.95


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
            if text is not None and _share(text, _is_ascii) < _MIN_ASCII_SHARE_CP1252:
                raise LoadError(path, "not UTF-8, and as Windows-1252/Latin-1 it reads as gibberish "
                                      "(mostly non-ASCII characters); convert it to UTF-8")
    if text is None:
        raise LoadError(path, "text is neither UTF-8 nor Windows-1252/Latin-1; convert it to UTF-8")
    if len(_CONTROL.findall(text)) > max(2, len(text) * _MAX_CONTROL_RATIO):
        raise LoadError(path, "binary content (control characters), not a text document")
    if _share(text, _is_readable) < _MIN_PRINTABLE_SHARE:
        raise LoadError(path, "not readable text (many unassigned or private-use characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _is_ascii(char: str) -> bool:
    return char.isascii()


def _is_readable(char: str) -> bool:
    return char.isprintable() or char.isspace()


def _share(text: str, test: Callable[[str], bool], sample: int = 65536) -> float:
    """The share of the first ``sample`` characters of ``text`` that pass ``test``."""
    head = text[:sample]
    return sum(map(test, head)) / len(head) if head else 1.0


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def load(path: Path, text: str) -> ExtractedDoc:
    """Plain text as it is."""
    return ExtractedDoc(text=text, kind="text")
