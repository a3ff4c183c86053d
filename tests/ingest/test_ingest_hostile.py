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


NOTE = "# Claims\n\nThe team lead approves every expense claim within five days.\n"


def test_the_same_file_named_twice_is_indexed_once(services, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text(NOTE, encoding="utf-8")
    (folder / "b.md").write_text(NOTE.replace("Claims", "Travel"), encoding="utf-8")
    report = services.index.ingest([folder / "a.md", folder / "a.md"])
    assert [f.status for f in report.files] == ["ingested"]
    report = services.index.ingest([folder, folder / "a.md", tmp_path / "notes" / ".." / "notes" / "b.md"])
    assert report.exit_code == 0
    assert sorted(f.source for f in report.files) == ["a.md", "b.md"]
    assert {s.source for s in services.index.sources()} == {"a.md", "b.md"}


def test_links_out_of_the_folder_are_refused_unless_asked(services, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("The vault code is kept by the office manager only.\n", encoding="utf-8")
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text(NOTE, encoding="utf-8")
    (folder / "outside.txt").symlink_to(outside)
    (folder / "inside.md").symlink_to(folder / "a.md")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    report = services.index.ingest([folder])
    outcome = {f.source: (f.status, f.reason) for f in report.files}
    assert outcome["a.md"][0] == "ingested" and "inside.md" not in outcome
    assert outcome["outside.txt"][0] == "failed" and "--follow-links" in outcome["outside.txt"][1]
    report = services.index.ingest([folder], follow_links=True)
    assert {f.source: f.status for f in report.files}["outside.txt"] == "ingested"


def test_the_size_limit_holds_for_files_that_report_size_zero(services, settings) -> None:
    settings.ingest.max_file_mb = 0.001  # 1 KB; /proc/self/environ reports 0 bytes
    report = services.index.ingest([Path("/proc/self/maps")])
    assert report.files[0].status == "failed" and "limit" in report.files[0].reason
