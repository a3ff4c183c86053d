"""Saving files a user uploaded in the browser under ``<data_dir>/uploads/``."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.\- ]+")
# Bytes of a saved name: below the usual 255-byte file name limit, with room to spare.
MAX_NAME_BYTES = 200


class UploadError(ValueError):
    """An uploaded file cannot be saved; the message names the file and the reason."""


def safe_upload_name(name: str) -> str:
    """A file name safe to create in the uploads folder (no folders, no dot files, not too long).

    The suffix is kept (it decides how the file is read); a long stem is shortened.
    """
    stem, suffix = os.path.splitext(_UNSAFE.sub("_", Path(name.replace("\\", "/")).name))
    stem, suffix = stem.strip(" ."), suffix.strip(" ")
    if not stem or len(suffix.encode()) > 16:
        raise UploadError(f"{name!r}: not a usable file name")
    room = MAX_NAME_BYTES - len(suffix.encode())
    stem = stem.encode()[:room].decode(errors="ignore").rstrip(" .")
    return stem + suffix


def save_uploads(uploads_dir: Path, files: list[tuple[str, bytes]], max_mb: float) -> tuple[list[Path], list[str]]:
    """Save a batch of ``(name, data)`` uploads: ``(saved paths, one error line per refused file)``.

    One bad file does not stop the others; two files that would get the same name are refused
    after the first, so neither silently replaces the other.
    """
    saved: list[Path] = []
    errors: list[str] = []
    for name, data in files:
        try:
            if uploads_dir / safe_upload_name(name) in saved:
                raise UploadError(f"{name}: another file of this upload has the same name; rename one of them")
            saved.append(save_upload(uploads_dir, name, data, max_mb))
        except UploadError as exc:
            errors.append(str(exc))
        except OSError as exc:
            errors.append(f"{name}: cannot be saved ({exc.strerror or exc})")
    return saved, errors


def save_upload(uploads_dir: Path, name: str, data: bytes, max_mb: float) -> Path:
    """Write ``data`` atomically to ``uploads_dir/<safe name>`` and return the path.

    Refuses empty and oversized files; an existing file of the same name is replaced
    (re-uploading a newer version of a note is the common case).
    """
    target = uploads_dir / safe_upload_name(name)
    if not data:
        raise UploadError(f"{name}: empty file (0 bytes)")
    if len(data) > max_mb * 1024 * 1024:
        raise UploadError(f"{name}: {len(data) / 1048576:.1f} MB is over the {max_mb:g} MB limit")
    uploads_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=uploads_dir, prefix=".upload-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
