"""Hostile input to ingest: markup in names, duplicates, deep nesting, expansion, links, odd bytes.

Each case is refused with a one-line reason (or indexed), never a traceback or a hang.
"""

from __future__ import annotations

import json
from pathlib import Path

from app.cli import ingest_cmd
from tests.conftest import make_cli


def test_rich_markup_in_a_failing_path_is_printed_literally(services, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    (folder / "[").mkdir(parents=True)
    (folder / "[" / "oops].md").write_bytes(b"")
    (folder / "ok.md").write_text("# Ok\n\nThe team lead approves every claim.\n", encoding="utf-8")
    cli = make_cli(services, ingest_cmd)
    for _ in range(2):
        result = cli("ingest", folder, "--format", "json")
        assert result.exit_code == 3, result.output
        assert json.loads(result.stdout)["exit_code"] == 3
        assert f"failed {folder / '[' / 'oops].md'}: empty file (0 bytes)" in result.stderr
