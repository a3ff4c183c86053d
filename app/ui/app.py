"""Entry script of the reviewer's workspace: ``streamlit run app/ui/app.py``."""

import sys
from pathlib import Path

# `streamlit run` puts this folder first on sys.path, where this very file (app.py) would
# shadow the `app` package; drop the folder so `import app.…` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if getattr(sys.modules.get("app"), "__path__", None) is None:
    sys.modules.pop("app", None)

from app.ui.shell import main  # noqa: E402 - needs the sys.path fix above

main()
