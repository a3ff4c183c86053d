"""A time and size budget for one file's extraction, checked as a loader works through it.

Parsers run in the caller's thread (the UI's too), where no signal can stop them, so each
loader checks the budget between units of work (elements, pages, blocks) and gives up with
a :class:`LoadError` naming the limit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loaders.base import LoadError

DEFAULT_SECONDS = 60.0
DEFAULT_TEXT_MB = 64.0
DEFAULT_EXPANDED_MB = 100.0


@dataclass
class Budget:
    """How long extracting ``path`` may take and how much text it may yield."""

    path: Path
    seconds: float = DEFAULT_SECONDS
    max_text_mb: float = DEFAULT_TEXT_MB
    max_expanded_mb: float = DEFAULT_EXPANDED_MB
    started: float = field(default_factory=time.monotonic)

    def check(self, text_chars: int = 0) -> None:
        """Raise :class:`LoadError` once the time is spent or ``text_chars`` is over the size."""
        if time.monotonic() - self.started > self.seconds:
            raise LoadError(self.path, f"reading it took over {self.seconds:g} s (ingest.max_load_seconds); "
                                       "the file is too complex to index, split or simplify it")
        if text_chars > self.max_text_mb * 1024 * 1024:
            raise LoadError(self.path, f"it expands to over {self.max_text_mb:g} MB of text; split it")
