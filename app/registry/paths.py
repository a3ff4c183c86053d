"""Safe file and folder names for the registry (no traversal from ids or titles)."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path, PureWindowsPath

from slugify import slugify

from app.registry.errors import ExportError, UnsafeNameError

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


# Pseudo file systems: never a registry (their files accept writes with side effects, or hang).
_PSEUDO_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
LOCK_NAME = ".sopdraft-export.lock"
# Files that only a registry holds: its index, and the lock its first export created.
REGISTRY_MARKERS = ("index.json", LOCK_NAME)


def registry_root(path: Path) -> Path:
    """``path`` resolved (``~``, ``..`` and links), if it can be a registry; else :class:`ExportError`.

    A registry is a writable folder that is empty (hidden entries such as ``.git`` aside),
    already holds a registry (a :data:`REGISTRY_MARKERS` file), or does not exist yet under a
    writable folder.
    """
    root = Path(os.path.abspath(Path(path).expanduser())).resolve()
    where = f"--registry {path}" + (f" ({root})" if str(root) != str(path) else "")
    if root == Path(root.anchor):
        raise ExportError(f"{where}: the file system root cannot be a registry; choose a folder of its own")
    if any(root.is_relative_to(p) for p in _PSEUDO_ROOTS):
        raise ExportError(f"{where}: a system folder cannot be a registry; choose a folder of your own")
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        raise ExportError(f"{where}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ExportError(f"{where}: {existing} is not writable")
    if existing == root and not any((root / m).is_file() for m in REGISTRY_MARKERS):
        visible = [p.name for p in root.iterdir() if not p.name.startswith(".")]
        if visible:
            shown = ", ".join(sorted(visible)[:3]) + (", …" if len(visible) > 3 else "")
            raise ExportError(f"{where}: the folder holds other files ({shown}) and "
                              "no registry (no index.json); choose an empty folder or an existing registry")
    return root
