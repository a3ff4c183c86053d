"""Where an export may write: a registry folder, checked and resolved before anything is written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from registry_helpers import approve_latest, export_latest

from app.registry.errors import ExportError


def _bad_targets(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.md").write_text("someone else's")
    return {
        "file": (tmp_path / "file", "is a file, not a folder"),
        "file/sub": (tmp_path / "file" / "sub", "is a file, not a folder"),
        "/proc": (Path("/proc"), "system folder"),
        "/": (Path("/"), "file system root"),
        "non-empty": (tmp_path / "full", r"holds other files \(notes.md\) and no registry"),
    }


@pytest.mark.parametrize("case", ["file", "file/sub", "/proc", "/", "non-empty"])
def test_what_is_not_a_registry_folder_is_refused_with_one_line(store, created, tmp_path, case) -> None:
    approve_latest(store)
    target, reason = _bad_targets(tmp_path)[case]
    before = sorted(os.listdir(target)) if target.is_dir() and case != "/proc" else None
    with pytest.raises(ExportError, match=reason):
        export_latest(store, "d-0001", target, git_commit=False)
    if before is not None and case != "/":
        assert sorted(os.listdir(target)) == before
    assert not Path("/index.json").exists() or case != "/"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_is_refused(store, created, tmp_path) -> None:
    approve_latest(store)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ExportError, match="is not writable"):
        export_latest(store, "d-0001", locked / "reg", git_commit=False)


def test_the_resolved_path_is_recorded_and_existing_registries_are_accepted(store, created, tmp_path) -> None:
    approve_latest(store)
    (tmp_path / "a").mkdir()
    result = export_latest(store, "d-0001", tmp_path / "a" / ".." / "reg", git_commit=False)
    assert result.directory == tmp_path.resolve() / "reg" / "SOP-0001" / "1.0"
    assert store.audit_log(limit=1)[0].details["directory"] == str(result.directory)
    again = export_latest(store, "d-0001", tmp_path / "reg", git_commit=False)  # holds index.json: a registry
    assert again.directory == result.directory
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / ".git").mkdir()  # e.g. a fresh `git init`
    export_latest(store, "d-0001", tmp_path / "hidden", git_commit=False)


@pytest.mark.parametrize(("umask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_registry_files_honour_the_umask(store, created, tmp_path, umask, file_mode, dir_mode) -> None:
    approve_latest(store)
    old = os.umask(umask)
    try:
        result = export_latest(store, "d-0001", tmp_path / "reg", git_commit=False)
    finally:
        os.umask(old)
    for path in [*result.files, *result.index_files]:
        assert stat.S_IMODE(path.stat().st_mode) == file_mode, path
    assert stat.S_IMODE(result.directory.stat().st_mode) == dir_mode
