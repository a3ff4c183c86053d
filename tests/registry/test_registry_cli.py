"""The registry CLI: clear one-line errors, JSON output, the whole review-to-registry path."""

from __future__ import annotations

import json

import pytest
from registry_helpers import OWNER, ROLE, bypass_protection, make_draft

from app.cli import registry_cmd
from tests.conftest import make_cli
from app.critique import critique_draft
from app.models import DataRules, Scope, Statement
from app.registry.workflow import edit, signoff_preview

REASON = "Scope is defined by the team charter linked in References, reviewed by the DPO."


@pytest.fixture
def cli(services):
    """Invoke the registry commands against the per-test services."""
    return make_cli(services, registry_cmd)


@pytest.fixture
def stored(services):
    services.store.create_draft(make_draft(), author="Ana Lopez")
    return services.store


def _complete(store) -> None:
    """Fix the structural blockers the critique finds in the sample draft."""
    cite = ["3fa9c1d2e4b5"]
    record = store.get_draft("d-0001")
    sop = record.draft.sop.model_copy(update={
        "scope": Scope(covered=[Statement(text="Internal meetings of the operations team.", citations=cite)]),
        "data_rules": DataRules(prohibited=[Statement(text="Client personal data must not be pasted into the tool.",
                                                      citations=cite)]),
        "human_review": [Statement(text="The meeting organiser checks the summary against the transcript "
                                        "before sending it.", citations=cite)]})
    edit(store, "d-0001", sop, author="Ana Lopez", reason="add scope and review", expected_version=record.version)


def _remaining_blockers(services) -> list:
    """Blockers the live rule catalogue still finds once the owner is filled in."""
    record = services.store.get_draft("d-0001")
    flags = critique_draft(signoff_preview(record.draft, OWNER, ROLE), services.catalogue)
    return [f for f in flags if f.severity == "blocker" and not f.advisory]


def test_approve_without_owner_fails_with_one_clear_line(cli, stored):
    result = cli("approve", "d-0001")
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert "error: cannot approve:" in message and "Traceback" not in result.output + result.stderr
    for needed in ("full name is required", "role is required", "confirmation", "missing-scope"):
        assert needed in message
    assert stored.get_draft("d-0001").status == "draft"


def test_waive_then_approve_then_export(cli, stored, services, tmp_path):
    trivial = cli("waive", "d-0001", "6f1e39376e34", "--reason", "ok", "--by", "Ben Okafor")
    assert trivial.exit_code == 2 and "written reason" in trivial.stderr
    unknown = cli("waive", "d-0001", "000000000000", "--reason", REASON, "--by", "Ben Okafor")
    assert unknown.exit_code == 2 and "no current finding 000000000000" in unknown.stderr
    listed = json.loads(cli("drafts", "--format", "json").stdout)
    assert [d["draft_id"] for d in listed] == ["d-0001"]

    _complete(stored)
    for flag in _remaining_blockers(services):  # rules the catalogue may have gained since this test was written
        assert cli("waive", "d-0001", flag.flag_id, "--reason", REASON, "--by", "Ben Okafor").exit_code == 0
    approved = cli("approve", "d-0001", "--owner", OWNER, "--role", ROLE, "--yes", "--format", "json")
    assert approved.exit_code == 0, approved.stderr
    assert json.loads(approved.stdout)["approval"]["owner_name"] == OWNER

    exported = cli("export", "d-0001", "--registry", tmp_path / "reg", "--format", "json")
    assert exported.exit_code == 0, exported.stderr
    files = json.loads(exported.stdout)["files"]
    assert sorted(f.rsplit(".", 1)[1] for f in files) == ["docx", "json", "md"]
    history = json.loads(cli("history", "d-0001", "--format", "json").stdout)
    assert [(v["version"], v["status"]) for v in history] == [(1, "draft"), (2, "draft"), (3, "exported")]
    diff = cli("diff", "d-0001", "--from", 1, "--to", 2)
    assert diff.exit_code == 0 and "## Scope" in diff.stdout and "## Human review and sign-off" in diff.stdout
    due = json.loads(cli("due", "--within", 400, "--format", "json").stdout)
    assert [d["sop_id"] for d in due] == ["SOP-0001"]
    assert cli("audit", "verify").exit_code == 0


def test_waive_a_real_blocker(cli, stored, services):
    flag = _remaining_blockers(services)[0]
    result = cli("waive", "d-0001", flag.flag_id, "--reason", REASON, "--by", "Ben Okafor", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rule"] == flag.rule
    assert flag.flag_id in {w.flag_id for w in stored.get_draft("d-0001").waivers}


def test_errors_are_one_line_and_tampering_fails_verify(cli, stored):
    missing = cli("history", "nope")
    assert missing.exit_code == 2 and "no draft with id 'nope'" in missing.stderr
    refused = cli("export", "d-0001")
    assert refused.exit_code == 2 and "not approved" in refused.stderr
    conn = bypass_protection(stored)
    conn.execute("UPDATE audit SET actor = 'Mallory Evil'")
    verify = cli("audit", "verify", "--format", "json")
    assert verify.exit_code == 1 and json.loads(verify.stdout)["ok"] is False


class _Index:
    """Stands in for the source index: only what drift detection reads."""

    def __init__(self, hashes: dict[str, str]) -> None:
        self.hashes = hashes

    def source_hashes(self) -> dict[str, str]:
        return self.hashes


def test_submit_drift_audit_show_and_diff_against_approved(cli, stored, services):
    from registry_helpers import approve_latest

    assert cli("submit", "d-0001", "--by", "Ana Lopez", "--format", "json").exit_code == 0
    approve_latest(stored)
    services.__dict__["index"] = _Index({"examples/meeting-notes.md": "f" * 64})  # the cached_property slot
    drift = json.loads(cli("drift", "--format", "json").stdout)
    assert sorted((d["source"], d["change"]) for d in drift) == [
        ("examples/checklist.md", "deleted"), ("examples/meeting-notes.md", "changed")]
    due = cli("due", "--within", 0)
    assert "source-drift" in due.stdout and "SOP-0001" in due.stdout
    shown = json.loads(cli("audit", "show", "--limit", 2, "--format", "json").stdout)
    assert [e["action"] for e in shown] == ["flag_drift", "flag_drift"]
    stored.create_draft(make_draft("d-0002"), author="Ana Lopez")
    same = cli("diff", "d-0002", "--approved")
    assert same.exit_code == 0 and "## Identification" in same.stdout
    alone = cli("diff", "d-0002")
    assert alone.exit_code == 2 and "nothing to compare" in alone.stderr
