"""Export: approved-only, tamper detection, formats, layout, index, atomicity, safe names, git."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import docx
import pytest
import yaml
from registry_helpers import ANA, OWNER, ROLE, approve_latest, bypass_protection, export_latest, make_draft, make_sop, set_json_field

from app.registry import export as export_mod
from app.registry.docx_export import docx_bytes
from app.registry.errors import ExportError, UnsafeNameError
from app.registry.records import Actor

FRONT_MATTER_KEYS = ["sop_id", "title", "version", "status", "owner", "owner_role", "approver", "approved_at",
                     "content_hash", "effective_date", "review_cadence_months", "next_review_date", "sources", "signatures"]


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _front_matter(text: str) -> dict:
    _, head, _ = text.split("---\n", 2)
    return yaml.safe_load(head)


def test_unapproved_draft_is_not_exported(store, created, tmp_path):
    with pytest.raises(ExportError, match="is draft, not approved"):
        export_latest(store, "d-0001", tmp_path / "reg")
    assert not (tmp_path / "reg").exists()


def test_an_unapproved_edit_points_to_the_version_in_force(store, created, tmp_path):
    approved = approve_latest(store)
    from app.registry.workflow import edit

    edit(store, "d-0001", approved.draft.sop, actor=ANA, reason="minor", expected_version=2)
    with pytest.raises(ExportError, match=r"v3 is draft.*in force is d-0001 v2 \(--version 2\)"):
        export_latest(store, "d-0001", tmp_path / "reg")
    assert export_latest(store, "d-0001", tmp_path / "reg", version=2, git_commit=False).version == 2


def test_missing_team_templates_folder_is_a_clear_error(store, created, tmp_path):
    approve_latest(store)
    with pytest.raises(ExportError, match="templates folder .*nowhere does not exist"):
        export_latest(store, "d-0001", tmp_path / "reg", templates_dir=tmp_path / "nowhere")


def test_tampered_content_is_refused(store, created, tmp_path):
    approve_latest(store)
    bypass_protection(store).execute(
        "UPDATE versions SET draft_json = replace(draft_json, 'one business day', 'one week') WHERE version = 2")
    with pytest.raises(ExportError, match="does not match what was approved"):
        export_latest(store, "d-0001", tmp_path / "reg")
    assert _files(tmp_path / "reg") == [] if (tmp_path / "reg").exists() else True
    assert store.get_draft("d-0001").status == "approved"


def test_tampered_approval_hash_is_refused(store, created, tmp_path):
    """Rewriting content and approval together still disagrees with the audit log."""
    approve_latest(store)
    conn = bypass_protection(store)
    conn.execute("UPDATE versions SET draft_json = replace(draft_json, 'one business day', 'one week') "
                 "WHERE version = 2")
    forged = store.get_draft("d-0001").draft.sop.content_hash()
    set_json_field(store, "approvals", "approval_json", "content_hash", forged)
    with pytest.raises(ExportError, match="audited"):
        export_latest(store, "d-0001", tmp_path / "reg")


def test_export_writes_every_format_index_and_marks_exported(store, created, tmp_path):
    rec = approve_latest(store)
    reg = tmp_path / "reg"
    result = export_latest(store, "d-0001", reg, git_commit=False)
    stem = "SOP-0001/1.0/summarise-internal-meetings-with-ai"
    assert _files(reg) == sorted(["INDEX.md", "index.json", f"{stem}.docx", f"{stem}.json", f"{stem}.md",
                                  "SOP-0001/1.0/manifest.json", "audit-head.json", "registry-ed25519.pub.pem",
                                  ".sopdraft-export.lock"])
    fm = _front_matter((reg / f"{stem}.md").read_text())
    assert list(fm) == FRONT_MATTER_KEYS
    assert (fm["sop_id"], fm["version"], fm["status"], fm["owner"], fm["approver"]) == (
        "SOP-0001", "1.0", "approved", OWNER, OWNER)
    assert fm["content_hash"] == rec.approval.content_hash
    assert fm["sources"] == ["examples/checklist.md", "examples/meeting-notes.md"]
    data = json.loads((reg / f"{stem}.json").read_text())
    assert data["approval"]["content_hash"] == rec.approval.content_hash and data["sop"]["title"] == rec.draft.sop.title
    index = json.loads((reg / "index.json").read_text())
    assert [(e["sop_id"], e["version"], e["owner"]) for e in index["sops"]] == [("SOP-0001", "1.0", OWNER)]
    assert f"{stem}.md" in (reg / "INDEX.md").read_text()
    assert result.commit is None and store.get_draft("d-0001").status == "exported"
    assert store.audit_log(limit=1)[0].action == "exported"


def test_docx_opens_and_carries_the_approval_block(store, created, tmp_path):
    rec = approve_latest(store)
    result = export_latest(store, "d-0001", tmp_path / "reg", formats=("docx",), git_commit=False)
    document = docx.Document(str(result.files[0]))
    block = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert block["Owner"] == OWNER and block["Owner role"] == ROLE and block["Approved by"] == OWNER
    assert block["Content hash (SHA-256)"] == rec.approval.content_hash
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert {"Approval", "Procedure", "Document history"} <= set(headings)
    history = document.tables[-1]
    assert [c.text for c in history.rows[0].cells] == ["Version", "Date", "Author", "Change"]
    assert history.rows[1].cells[2].text == OWNER


def test_docx_bytes_depend_only_on_the_approval(store, created):
    rec = approve_latest(store)
    data = docx_bytes(rec.draft.sop, rec.approval)
    stamps = {i.date_time for i in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    *day_minute, second = rec.approval.approved_at.timetuple()[:6]
    assert stamps == {(*day_minute, second - second % 2)}  # zip (DOS) times have 2-second steps
    assert docx_bytes(rec.draft.sop, rec.approval) == data


def test_new_version_updates_the_index_and_keeps_the_old_folder(store, created, tmp_path):
    reg = tmp_path / "reg"
    approve_latest(store)
    export_latest(store, "d-0001", reg, git_commit=False)
    rec = store.get_draft("d-0001")
    from app.registry.workflow import edit

    edit(store, "d-0001", rec.draft.sop.model_copy(update={"title": "Summarise meetings with AI"}),
         actor=ANA, reason="shorter title", expected_version=rec.version)
    approve_latest(store)
    export_latest(store, "d-0001", reg, git_commit=False)
    [entry] = json.loads((reg / "index.json").read_text())["sops"]
    assert entry["version"] == "2.0" and [v["version"] for v in entry["versions"]] == ["1.0", "2.0"]
    assert (reg / "SOP-0001/1.0").is_dir() and (reg / "SOP-0001/2.0/summarise-meetings-with-ai.md").is_file()


def test_failure_between_files_leaves_no_partial_files(store, created, tmp_path, monkeypatch):
    approve_latest(store)
    reg = tmp_path / "reg"
    real = export_mod._write_file
    calls = []

    def failing(path, data):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(export_mod, "_write_file", failing)
    with pytest.raises(ExportError, match="cannot write to the registry .*: disk full"):
        export_latest(store, "d-0001", reg, git_commit=False)
    assert _files(reg) == [".sopdraft-export.lock"]
    assert [p.name for p in (reg / "SOP-0001").iterdir()] == []
    assert store.get_draft("d-0001").status == "approved"


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from app.registry import export as export_mod
    from app.registry.store import Store

    real = export_mod._write_file
    def slow(path, data):
        real(path, data)
        print("wrote", path.name, flush=True)
        time.sleep(60)
    export_mod._write_file = slow
    sys.path.insert(0, "tests/registry")
    from registry_helpers import export_latest
    where = sys.argv[1]
    export_latest(Store(where if where.startswith("postgresql") else Path(where)), "d-0001", Path(sys.argv[2]),
                  git_commit=False)
""")


def test_killed_export_leaves_no_partial_files_and_next_export_cleans_up(store, created, tmp_path):
    approve_latest(store)
    reg = tmp_path / "reg"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, store.url or str(store.db_path), str(reg)],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert proc.stdout.readline().startswith("wrote ")  # one file written, the process mid-export
    finally:
        proc.kill()
        proc.wait(10)
    assert not (reg / "SOP-0001" / "1.0").exists() and not (reg / "index.json").exists()
    assert [p.name.startswith(".tmp-") for p in (reg / "SOP-0001").iterdir()] == [True]
    export_latest(store, "d-0001", reg, git_commit=False)
    assert sorted(p.name for p in (reg / "SOP-0001").iterdir()) == ["1.0"]


def test_path_traversal_in_title_is_neutralised(store, tmp_path):
    store.create_draft(make_draft(sop=make_sop(title="../../etc/passwd\x00 <evil>")), actor=ANA)
    approve_latest(store)
    result = export_latest(store, "d-0001", tmp_path / "reg", git_commit=False)
    assert [f.name for f in result.files][0] == "etc-passwd-evil.md"
    assert all(f.resolve().is_relative_to((tmp_path / "reg").resolve()) for f in result.files)


@pytest.mark.parametrize("sop_id", ["../../outside", "/etc/cron.d", "C:\\x", "SOP\n1", "..", "***"])
def test_unsafe_sop_ids_are_refused(store, tmp_path, sop_id):
    store.create_draft(make_draft(sop=make_sop(sop_id=sop_id)), actor=ANA)
    approve_latest(store)
    with pytest.raises(UnsafeNameError, match="SOP id"):
        export_latest(store, "d-0001", tmp_path / "reg", git_commit=False)
    assert not (tmp_path / "reg").exists()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_export_commits_to_a_git_registry(store, created, tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    _git(reg, "init", "-q")
    approve_latest(store, approver=Actor(id="u-chris", name="Chris Mbeki"))
    result = export_latest(store, "d-0001", reg)  # exported by Dana Reyes, approved by Chris Mbeki
    assert result.commit and _git(reg, "rev-parse", "HEAD").strip() == result.commit
    message = _git(reg, "log", "-1", "--format=%an|%s")
    assert message.strip() == "Dana Reyes|SOP-0001 v1.0: Summarise internal meetings with AI (approved by Chris Mbeki)"
    assert "index.json" in _git(reg, "ls-files")
    again = export_latest(store, "d-0001", reg)  # identical re-export: only the audit anchor moves on
    assert _git(reg, "show", "--name-only", "--format=", again.commit).split() == ["audit-head.json"]
    assert store.audit_log(limit=1)[0].action == "re-exported"


def test_registry_nested_in_another_repo_is_not_committed(store, created, tmp_path):
    _git(tmp_path, "init", "-q")
    approve_latest(store)
    assert export_latest(store, "d-0001", tmp_path / "reg").commit is None
    assert _git(tmp_path, "status", "--porcelain").strip()  # left uncommitted for its owner


def test_team_templates_override_by_name_and_missing_variables_fail(store, created, tmp_path):
    approve_latest(store)
    team = tmp_path / "team"
    team.mkdir()
    (team / "INDEX.md.j2").write_text("Team registry: {% for e in entries %}{{ e.sop_id }}{% endfor %}\n")
    export_latest(store, "d-0001", tmp_path / "reg", templates_dir=team, git_commit=False)
    assert (tmp_path / "reg" / "INDEX.md").read_text().strip() == "Team registry: SOP-0001"
    (team / "sop.md.j2").write_text("{{ sop.title }} {{ no_such_variable }}\n")
    with pytest.raises(ExportError, match=r"team/sop.md.j2: 'no_such_variable' is undefined"):
        export_latest(store, "d-0001", tmp_path / "reg2", templates_dir=team, git_commit=False)
    assert not (tmp_path / "reg2").exists()


def test_unknown_format_and_corrupt_index_are_clear_errors(store, created, tmp_path):
    approve_latest(store)
    with pytest.raises(ExportError, match="unknown export format"):
        export_latest(store, "d-0001", tmp_path / "reg", formats=("pdf",))
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "index.json").write_text("{not json")
    with pytest.raises(ExportError, match="index.json: registry index is unreadable"):
        export_latest(store, "d-0001", tmp_path / "reg", git_commit=False)


def test_a_held_registry_lock_is_a_clear_error(store, created, tmp_path, monkeypatch):
    from filelock import FileLock

    approve_latest(store)
    reg = tmp_path / "reg"
    reg.mkdir()
    monkeypatch.setattr(export_mod, "LOCK_TIMEOUT_S", 0.1)
    with FileLock(str(reg / export_mod.LOCK_NAME)):
        with pytest.raises(ExportError, match="another export"):
            export_latest(store, "d-0001", reg, git_commit=False)
    assert store.get_draft("d-0001").status == "approved"
