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
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.md").write_text(NOTE.replace("Claims", "Travel"), encoding="utf-8")
    (folder / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    report = services.index.ingest([folder])
    outcome = {f.source: (f.status, f.reason) for f in report.files}
    assert outcome["a.md"][0] == "ingested" and "inside.md" not in outcome and "loop" not in outcome
    for link in ("outside.txt", "linked"):
        assert outcome[link][0] == "failed" and "--follow-links" in outcome[link][1]
    report = services.index.ingest([folder], follow_links=True)
    outcome = {f.source: f.status for f in report.files}
    assert outcome["outside.txt"] == outcome["linked/b.md"] == "ingested"


def test_the_size_limit_holds_for_files_that_report_size_zero(services, settings) -> None:
    settings.ingest.max_file_mb = 0.001  # 1 KB; /proc/self/environ reports 0 bytes
    report = services.index.ingest([Path("/proc/self/maps")])
    assert report.files[0].status == "failed" and "limit" in report.files[0].reason


def _timed_ingest(services, path: Path):
    import time

    started = time.perf_counter()
    report = services.index.ingest([path])
    return report.files[0], time.perf_counter() - started


def test_deeply_nested_html_is_read_in_linear_time(services, tmp_path: Path) -> None:
    depth = 20_000  # the old loader took minutes here; quadratic in depth
    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * depth + "The team lead approves claims." + "</div>" * depth
                    + "<ul><li>" * depth + "Receipts over 75 dollars are attached.", encoding="utf-8")
    result, seconds = _timed_ingest(services, page)
    assert result.status == "ingested", result.reason
    assert seconds < 20


def test_unclosed_markdown_comments_and_liquid_tags_are_linear(services, tmp_path: Path) -> None:
    note = tmp_path / "tags.md"
    note.write_text("# Tags\n\nThe team lead approves claims.\n" + "<!--{%{{ {% comment %}" * 40_000,
                    encoding="utf-8")
    result, seconds = _timed_ingest(services, note)
    assert result.status == "ingested", result.reason
    assert seconds < 20


def test_a_loader_over_its_time_budget_is_refused_with_the_reason(services, settings, tmp_path: Path) -> None:
    settings.ingest.max_load_seconds = 1e-9
    page = tmp_path / "page.html"
    page.write_text("<html><body>" + "<p>Claims need receipts.</p>" * 10_000 + "</body></html>", encoding="utf-8")
    result, _ = _timed_ingest(services, page)
    assert result.status == "failed" and "ingest.max_load_seconds" in result.reason


def _docx_with_member(make_docx, path: Path, member: str, data: bytes) -> Path:
    import zipfile

    make_docx(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, data)
    return path


def test_a_docx_that_expands_past_the_limit_is_refused_before_parsing(services, settings, make_docx,
                                                                      tmp_path: Path) -> None:
    settings.ingest.max_expanded_mb = 1
    path = _docx_with_member(make_docx, tmp_path / "big.docx", "word/media/big.bin", bytes(range(256)) * 8192)
    result, _ = _timed_ingest(services, path)
    assert result.status == "failed" and "over the 1 MB limit (ingest.max_expanded_mb)" in result.reason


def test_a_docx_zip_bomb_is_refused_by_its_ratio(services, make_docx, tmp_path: Path) -> None:
    path = _docx_with_member(make_docx, tmp_path / "bomb.docx", "word/document2.xml", b"<a/>" * 4_000_000)
    result, _ = _timed_ingest(services, path)
    assert result.status == "failed" and "ZIP bomb" in result.reason


def test_random_high_bytes_are_refused_not_indexed_as_mojibake(services, tmp_path: Path) -> None:
    import random

    rng = random.Random(13)
    usable = [b for b in range(0x80, 0x100) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)]
    noise = tmp_path / "noise.txt"
    noise.write_bytes(bytes(rng.choice(usable) for _ in range(4000)))
    private = tmp_path / "private.md"
    private.write_text("\ue000" * 500 + " claims", encoding="utf-8")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le responsable d'équipe approuve les notes de frais après vérification.".encode("cp1252"))
    report = services.index.ingest([noise, private, latin])
    outcome = {f.source: (f.status, f.reason) for f in report.files}
    assert outcome["noise.txt"][0] == "failed" and "gibberish" in outcome["noise.txt"][1]
    assert outcome["private.md"][0] == "failed" and "not readable text" in outcome["private.md"][1]
    assert outcome["latin.txt"][0] == "ingested"


def test_long_runs_in_headings_and_html_comments_are_matched_in_linear_time(tmp_path: Path) -> None:
    import time

    from ingest.chunking import heading_sections
    from ingest.loaders import detect_kind

    started = time.perf_counter()
    sections = heading_sections("# x" + " " * 200_000 + "y\n\n" + NOTE + "#" * 100_000 + "\n")
    assert detect_kind(tmp_path / "a.txt", b"<!---->" * 600 + b"x") == "text"  # took minutes from 40 comments
    assert detect_kind(tmp_path / "a.txt", b"<!-- a --> <!-- b -->\n<html>") == "html"
    assert time.perf_counter() - started < 5
    assert [s.path for s in sections][:2] == [("x" + " " * 200_000 + "y",), ("Claims",)]


def test_front_matter_nested_deeper_than_the_stack_is_ignored_not_a_crash(services, tmp_path: Path) -> None:
    import sys

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text(NOTE, encoding="utf-8")
    (folder / "b.md").write_text("---\nx: " + "[" * (sys.getrecursionlimit() * 4) + "\n---\n" + NOTE, encoding="utf-8")
    report = services.index.ingest([folder])
    assert {f.source: f.status for f in report.files} == {"a.md": "ingested", "b.md": "ingested"}
