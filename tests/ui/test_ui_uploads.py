"""Upload batches: odd and long names, and two files of the same name in one batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.ui.uploads import MAX_NAME_BYTES, UploadError, safe_upload_name, save_uploads


def test_a_name_of_300_characters_is_shortened_and_keeps_its_suffix(tmp_path: Path) -> None:
    paths, errors = save_uploads(tmp_path, [("a" * 300 + ".md", b"# A\n"), ("b.md", b"# B\n")], max_mb=1)
    assert errors == []
    assert [p.suffix for p in paths] == [".md", ".md"] and all(p.is_file() for p in paths)
    assert len(paths[0].name.encode()) <= MAX_NAME_BYTES


def test_a_name_without_a_stem_is_refused_not_renamed() -> None:
    with pytest.raises(UploadError, match="not a usable file name"):
        safe_upload_name(" .md")
    assert safe_upload_name("notes .md") == "notes.md"


def test_one_bad_file_does_not_stop_the_batch_and_same_names_are_refused(tmp_path: Path) -> None:
    batch = [("a.md", b"first"), (" .md", b"x"), ("a.md", b"second"), ("c.md", b"")]
    paths, errors = save_uploads(tmp_path, batch, max_mb=1)
    assert paths == [tmp_path / "a.md"] and (tmp_path / "a.md").read_bytes() == b"first"
    assert len(errors) == 3 and "same name" in errors[1] and "empty" in errors[2]


def test_a_file_system_error_is_one_line_per_file(tmp_path: Path) -> None:
    blocked = tmp_path / "uploads"
    blocked.write_text("a file where the folder should be")
    paths, errors = save_uploads(blocked, [("a.md", b"x")], max_mb=1)
    assert paths == [] and errors[0].startswith("a.md: cannot be saved")
