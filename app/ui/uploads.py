"""Saving files a user uploaded in the browser under ``<data_dir>/uploads/``."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_UNSAFE = re.compile(r"[^\w.\- ]+")


class UploadError(ValueError):
    """An uploaded file cannot be saved; the message names the file and the reason."""


def safe_upload_name(name: str) -> str:
    """A file name safe to create in the uploads folder (no folders, no dot files)."""
    base = _UNSAFE.sub("_", Path(name.replace("\\", "/")).name).strip(" .")
    if not base or base.startswith("."):
        raise UploadError(f"{name!r}: not a usable file name")
    return base


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
