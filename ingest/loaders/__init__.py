"""Turn one source file into plain text: detect its type from its bytes, then extract.

Every failure is a :class:`LoadError` whose message names the file and says why, so the
caller can report it on one line and carry on with the next file.
"""

from __future__ import annotations

import os
from pathlib import Path

from ingest.loaders.base import ExtractedDoc, LoadError, detect_kind
from ingest.loaders.budget import Budget

__all__ = ["Budget", "ExtractedDoc", "LoadError", "detect_kind", "extract", "read_source", "refuse_outside_link",
           "walk", "SUPPORTED_SUFFIXES"]

# Suffixes picked up when a folder is ingested; a file named explicitly is always tried.
SUPPORTED_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".html", ".htm", ".pdf", ".docx"})


def read_source(path: Path, max_file_mb: float) -> bytes:
    """The bytes of ``path``, refusing missing, unreadable, empty and oversized files.

    The limit is enforced on the bytes read too: files of /proc and /sys report size 0.
    """
    limit = int(max_file_mb * 1024 * 1024)
    too_big = f"over the {max_file_mb:g} MB limit (ingest.max_file_mb)"
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise LoadError(path, "not a regular file")
        if size > limit:
            raise LoadError(path, f"file is {size / 1048576:.1f} MB, {too_big}")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise LoadError(path, f"file grew past its reported size of {size} bytes while read, {too_big}")
    except FileNotFoundError:
        raise LoadError(path, "no such file") from None
    except PermissionError:
        raise LoadError(path, "permission denied") from None
    except OSError as exc:
        raise LoadError(path, f"cannot read: {exc.strerror or exc}") from None
    if not data:
        raise LoadError(path, "empty file (0 bytes)")
    return data


def extract(path: Path, data: bytes, budget: Budget | None = None) -> ExtractedDoc:
    """Extract the text of ``data`` (the content of ``path``) with the loader its content calls for,
    within ``budget`` (time and text size; a default one when not given)."""
    from ingest.loaders import docx, html, markdown, pdf, text

    budget = budget or Budget(path)
    kind = detect_kind(path, data)
    if kind == "pdf":
        doc = pdf.load(path, data, budget)
    elif kind == "docx":
        doc = docx.load(path, data, budget)
    elif kind == "html":
        doc = html.load(path, text.decode(path, data), budget)
    else:
        doc = (markdown.load if kind == "markdown" else text.load)(path, text.decode(path, data))
    budget.check(len(doc.text))
    if not doc.text.strip():
        raise LoadError(path, f"no text found in this {kind} file")
    return doc


def is_hidden(path: Path) -> bool:
    """Dot files and dot folders (.git, .DS_Store) are never ingested from a folder."""
    return any(part.startswith(".") for part in path.parts if part not in (".", ".."))


def refuse_outside_link(path: Path, root: Path) -> None:
    """Raise :class:`LoadError` if ``path``, found in the folder ``root``, is a link to outside it."""
    if not root.is_dir():
        return  # a file named on its own is read wherever it points
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(os.path.realpath(root)):
        raise LoadError(path, f"symbolic link to {target}, outside the ingested folder; "
                              "pass --follow-links to index what links point to")


def walk(root: Path, follow_links: bool = False) -> list[Path]:
    """Supported files under ``root`` (hidden ones skipped), in a stable order.

    Linked folders are entered only with ``follow_links``, each real folder once (no loops);
    without it, a linked folder that leads out of ``root`` is listed itself, to be refused
    with a reason rather than skipped unseen.
    """
    found = []
    visited: set[str] = set()
    inside = os.path.realpath(root)
    for folder, dirs, files in os.walk(root, followlinks=follow_links):
        real = os.path.realpath(folder)
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if not follow_links:
            found += [Path(folder) / d for d in dirs if os.path.islink(Path(folder) / d)
                      and not Path(os.path.realpath(Path(folder) / d)).is_relative_to(inside)]
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(Path(folder) / name)
    return found
