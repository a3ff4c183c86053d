"""Safe file and folder names for the registry (no traversal from ids or titles)."""

from __future__ import annotations

import unicodedata
from pathlib import Path, PureWindowsPath

from slugify import slugify

from app.registry.errors import UnsafeNameError

MAX_NAME = 80


def safe_component(value: str, *, what: str) -> str:
    """A single path component from an id or version; refuses traversal, absolute paths, control chars."""
    if not value or not value.strip():
        raise UnsafeNameError(f"{what} is empty; it cannot name a registry folder")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise UnsafeNameError(f"{what} {value!r} contains control characters")
    if ".." in value or value.startswith(("/", "\\", "~")) or PureWindowsPath(value).drive:
        raise UnsafeNameError(f"{what} {value!r} looks like a path (.., absolute or drive); use a plain id")
    slug = slugify(value, lowercase=False, regex_pattern=r"[^-A-Za-z0-9_.]+", max_length=MAX_NAME).strip(".-")
    if not slug:
        raise UnsafeNameError(f"{what} {value!r} has no letters or digits to name a folder with")
    return slug


def title_slug(title: str, fallback: str) -> str:
    """A lower-case file stem from a title (anything unsafe dropped); ``fallback`` if nothing is left."""
    return slugify(title, max_length=MAX_NAME) or fallback


def inside(root: Path, path: Path) -> Path:
    """``path`` if it resolves inside ``root``; otherwise :class:`UnsafeNameError` (defence in depth)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UnsafeNameError(f"{path} would be written outside the registry {root}")
    return path
