"""Which Chromium the browser test drives: Debian's, one on PATH, or Playwright's own build.

``python -m tests.support.browser`` prints the one found and exits 0, or exits 1 with the
reason (``make browser-deps`` uses it to decide whether to install one).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ENV_VAR = "SOPDRAFT_CHROMIUM"
DEBIAN = Path("/usr/bin/chromium")
ON_PATH = ("chromium", "chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MISSING = (f"no Chromium found (${ENV_VAR}, {DEBIAN}, {'/'.join(ON_PATH)} on PATH, Playwright's own build); "
           "`make browser-deps` installs one")


def find_chromium() -> Path | None:
    """The first Chromium that exists: ``$SOPDRAFT_CHROMIUM``, Debian's, PATH, then Playwright's."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]) if Path(os.environ[ENV_VAR]).is_file() else None
    if DEBIAN.is_file():
        return DEBIAN
    for name in ON_PATH:
        if found := shutil.which(name):
            return Path(found)
    return _playwright_chromium()


def _playwright_chromium() -> Path | None:
    """The build ``playwright install chromium`` downloads, if it has been."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            path = Path(pw.chromium.executable_path)
    except Exception:  # noqa: BLE001 - no driver, no browser: the same answer
        return None
    return path if path.is_file() else None


if __name__ == "__main__":
    chromium = find_chromium()
    print(chromium or MISSING, file=sys.stdout if chromium else sys.stderr)
    sys.exit(0 if chromium else 1)
