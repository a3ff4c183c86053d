"""Where the top-level ``prompts/`` and ``templates/`` folders are at run time.

In the repository (and an editable install) they are the folders at its root; a built wheel
ships them inside the package as ``app._prompts`` and ``app._templates`` (see ``setup.py``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir(folder: str, marker: str) -> Path:
    """The shipped ``folder`` (``prompts`` or ``templates``): installed package data, else the repository's."""
    spec = importlib.util.find_spec(f"app._{folder}")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / marker).is_file():
                return Path(location)
    return REPO_ROOT / folder
