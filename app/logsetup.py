"""Library warnings go to a log file, so the terminal keeps only the commands' own report.

pypdf alone prints a warning line for every odd font of a real PDF folder (about 1,400 on
one handbook), which buried the per-file failure lines of ``sopdraft ingest``.
"""

from __future__ import annotations

import logging
from pathlib import Path

LOG_NAME = "sopdraft.log"
_HANDLER_NAME = "sopdraft-library-log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def route_library_logs(data_dir: Path) -> Path | None:
    """Send warnings (``logging`` and ``warnings``) to ``<data_dir>/logs/sopdraft.log``; its path.

    Idempotent; with no writable data dir the warnings are dropped rather than printed (None).
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    logging.captureWarnings(True)
    path: Path | None = data_dir / "logs" / LOG_NAME
    handler: logging.Handler
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
        handler = logging.FileHandler(path, encoding="utf-8")  # type: ignore[arg-type]
    except OSError:
        handler, path = logging.NullHandler(), None
    handler.set_name(_HANDLER_NAME)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    return path
