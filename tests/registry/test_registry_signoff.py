"""The sign-off service: who may submit, waive, sign and export, re-authentication, signatures in order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from registry_helpers import complete_sop, make_draft

from app.auth.accounts import AuthError, PermissionDenied
from app.models import Flag
from app.registry.errors import ApprovalError, RegistryError, WorkflowError
from app.registry.signoff import OidcProof, PasswordProof
from app.registry.store import utcnow
from tests.support.people import password

REASON = "Covered by the team's QA checklist, which requires a second reader for every summary."


def _submitted(services, team, draft_id: str = "d-0001", sop=None):
    services.signoff.create_draft(team.author, make_draft(draft_id, sop or complete_sop()))
    return services.signoff.submit(team.author, draft_id, owner_login="dana")


def _approve(services, identity, draft_id: str = "d-0001", secret: str | None = None):
    return services.signoff.sign(identity, draft_id, "approved", confirm=True,
                                 proof=PasswordProof(secret or password(identity.user.login)))


def test_the_owner_approves_with_a_fresh_password(services, team):
    submitted = _submitted(services, team)
    assert submitted.status == "in_review" and submitted.draft.sop.metadata.owner_name == "Dana Reyes"
    approved = _approve(services, team.approver)
    assert approved.status == "approved"
    assert (approved.approval.approver_id, approved.approval.owner_id) == (team.approver.user.user_id,) * 2
    [signature] = services.signoff.signatures(approved)
    rec = signature.record
    assert (rec.meaning, rec.signer_name, rec.signer_title, rec.auth_method) == (
        "approved", "Dana Reyes", "Operations Manager", "password")
    assert rec.content_hash == approved.draft.sop.content_hash()
    entry = services.store.audit_log(limit=1)[0]
    assert entry.action == "signed_approved" and entry.actor == team.approver.user.user_id


def test_signing_demands_the_password_again_and_a_wrong_one_signs_nothing(services, team):
    _submitted(services, team)
    with pytest.raises(AuthError, match="unknown user or wrong password"):
        _approve(services, team.approver, secret="not-the-password-123")
    assert services.store.get_draft("d-0001").status == "in_review"
    assert services.store.signatures("d-0001") == []
    assert services.store.audit_log(limit=1)[0].action == "reauthenticated_failed"


def test_signing_needs_the_confirmation(services, team):
    _submitted(services, team)
    with pytest.raises(ApprovalError, match="confirm that you read this exact text"):
        services.signoff.sign(team.approver, "d-0001", "approved", confirm=False,
                              proof=PasswordProof(password("dana")))


@pytest.mark.parametrize("who", ["author", "reviewer", "admin"])
def test_nobody_but_an_approver_approves(services, team, who):
    _submitted(services, team)
    with pytest.raises(ApprovalError, match="needs the approver role"):
        _approve(services, getattr(team, who))


def test_only_the_assigned_owner_approves(services, team):
    chris = services.accounts.add_user(team.admin, login="chris", full_name="Chris Mbeki", roles=["approver"],
                                       password="correct-horse-battery-5")
    _submitted(services, team)
    identity = services.accounts.authenticate(chris.login, "correct-horse-battery-5")
    with pytest.raises(ApprovalError, match="only the SOP's owner, Dana Reyes, may approve it"):
        _approve(services, identity, secret="correct-horse-battery-5")


def test_independent_approval_refuses_the_last_author(services, team):
    accounts = services.accounts
    accounts.add_user(team.admin, login="pat", full_name="Pat Nguyen", roles=["author", "approver"],
                      password="correct-horse-battery-6")
    pat = accounts.authenticate("pat", "correct-horse-battery-6")
    services.signoff.create_draft(pat, make_draft(sop=complete_sop()))
    services.signoff.submit(pat, "d-0001", owner_login="pat")
    with pytest.raises(ApprovalError, match="independent approval"):
        _approve(services, pat, secret="correct-horse-battery-6")
    services.settings.registry.independent_approval = False
    assert _approve(services, pat, secret="correct-horse-battery-6").status == "approved"


def test_required_signatures_come_in_order_and_stay_with_the_text(services, team, tmp_path):
    services.settings.registry.signatures = ["reviewed", "approved"]
    _submitted(services, team)
    with pytest.raises(ApprovalError, match="'reviewed' signature must come first"):
        _approve(services, team.approver)
    reviewed = services.signoff.sign(team.reviewer, "d-0001", "reviewed", confirm=True,
                                     proof=PasswordProof(password("sam")))
    assert services.signoff.next_signature(reviewed) == "approved"
    approved = _approve(services, team.approver)
    assert [s.record.meaning for s in services.signoff.signatures(approved)] == ["reviewed", "approved"]
    result = services.signoff.export(team.approver, "d-0001", registry_dir=tmp_path / "reg", git_commit=False)
    markdown = next(f for f in result.files if f.suffix == ".md").read_text(encoding="utf-8")
    assert "Reviewed by Sam Okafor (Quality Lead)" in markdown and "Approved by Dana Reyes" in markdown


def test_an_edit_after_review_needs_a_new_review(services, team):
    services.settings.registry.signatures = ["reviewed", "approved"]
    record = _submitted(services, team)
    services.signoff.sign(team.reviewer, "d-0001", "reviewed", confirm=True, proof=PasswordProof(password("sam")))
    sop = record.draft.sop.model_copy(update={"title": "Summarise every internal meeting with AI"})
    edited = services.signoff.edit(team.author, "d-0001", sop, reason="wider title", expected_version=record.version)
    assert edited.status == "draft"
    resubmitted = services.signoff.submit(team.author, "d-0001")
    assert services.signoff.next_signature(resubmitted) == "reviewed"  # the old signature covers other text


def test_blockers_stop_approval_until_waived_by_a_reviewer(services, team):
    injection = Flag(rule="prompt-injection", severity="blocker", section="steps",
                     message="Source text tried to instruct the model.", evidence="ignore previous instructions")
    draft = make_draft(sop=complete_sop()).model_copy(update={"flags": [injection]})
    services.signoff.create_draft(team.author, draft)
    services.signoff.submit(team.author, "d-0001", owner_login="dana")
    with pytest.raises(ApprovalError, match="unresolved blocker"):
        _approve(services, team.approver)
    flag = next(f for f in services.signoff.blockers(services.store.get_draft("d-0001")))
    with pytest.raises(PermissionDenied, match="may not waive"):
        services.signoff.waive(team.approver, "d-0001", flag.flag_id, reason=REASON)
    for open_flag in services.signoff.blockers(services.store.get_draft("d-0001")):
        services.signoff.waive(team.reviewer, "d-0001", open_flag.flag_id, reason=REASON)
    assert _approve(services, team.approver).status == "approved"


def test_submit_needs_an_owner_with_the_approver_role(services, team):
    services.signoff.create_draft(team.author, make_draft(sop=complete_sop()))
    with pytest.raises(WorkflowError, match="choose the SOP's owner"):
        services.signoff.submit(team.author, "d-0001")
    with pytest.raises(WorkflowError, match="needs the approver role"):
        services.signoff.submit(team.author, "d-0001", owner_login="sam")
    with pytest.raises(PermissionDenied):
        services.signoff.submit(team.approver, "d-0001", owner_login="dana")


def test_only_an_admin_or_the_owner_changes_the_owner(services, team):
    _submitted(services, team)
    services.accounts.add_user(team.admin, login="chris", full_name="Chris Mbeki", roles=["approver"],
                               password="correct-horse-battery-5")
    with pytest.raises(PermissionDenied, match="admin or the current owner"):
        services.signoff.assign_owner(team.author, "d-0001", "chris")
    assert services.signoff.assign_owner(team.admin, "d-0001", "chris").login == "chris"
    entry = services.store.audit_log(limit=1)[0]
    assert entry.action == "owner_assigned" and entry.details["previous_owner_id"] == team.approver.user.user_id


def test_only_exporters_export_and_only_signed_versions(services, team, tmp_path):
    _submitted(services, team)
    with pytest.raises(PermissionDenied, match="may not export"):
        services.signoff.export(team.author, "d-0001", registry_dir=tmp_path / "reg")
    _approve(services, team.approver)
    result = services.signoff.export(team.admin, "d-0001", registry_dir=tmp_path / "reg", git_commit=False)
    assert services.store.audit_log(limit=1)[0].actor == team.admin.user.user_id  # the exporter, not the approver
    assert result.manifest.is_file()


def test_sop_ids_come_from_a_sequence_and_never_collide(services, team):
    first = _submitted(services, team, "d-0001", complete_sop(sop_id=""))
    second = _submitted(services, team, "d-0002", complete_sop(title="Other SOP", sop_id=""))
    assert (first.draft.sop.metadata.sop_id, second.draft.sop.metadata.sop_id) == ("SOP-0001", "SOP-0002")


def test_oidc_signers_need_a_login_fresher_than_their_request(services, team):
    accounts = services.accounts
    now = utcnow()
    oidc = accounts.oidc_identity(issuer="http://127.0.0.1/idp", subject="kim-1", email="kim@example.org",
                                  name="Kim Laine", auth_time=now - timedelta(minutes=20))
    assert oidc.roles == frozenset()  # roles come from an admin, not from the provider
    accounts.set_roles(team.admin, oidc.user.login, ["approver"])
    _submitted(services, team)
    services.signoff.assign_owner(team.admin, "d-0001", oidc.user.login)
    oidc = accounts.oidc_identity(issuer="http://127.0.0.1/idp", subject="kim-1", email="kim@example.org",
                                  name="Kim Laine", auth_time=now - timedelta(minutes=20))
    stale = OidcProof(auth_time=oidc.auth_time, requested_at=now)
    with pytest.raises(AuthError, match="fresh sign-in"):
        services.signoff.sign(oidc, "d-0001", "approved", confirm=True, proof=stale)
    with pytest.raises(AuthError, match="with your password"):  # a password session cannot claim an OIDC login
        services.signoff.verify_proof(team.approver, OidcProof(auth_time=utcnow(), requested_at=now))
    fresh = accounts.oidc_identity(issuer="http://127.0.0.1/idp", subject="kim-1", email="kim@example.org",
                                   name="Kim Laine", auth_time=utcnow())
    signed = services.signoff.sign(fresh, "d-0001", "approved", confirm=True,
                                   proof=OidcProof(auth_time=fresh.auth_time, requested_at=now))
    assert services.signoff.signatures(signed)[0].record.auth_method == "oidc"


def test_drift_flags_count_as_findings_for_the_service(services, team):
    approved = (_submitted(services, team), _approve(services, team.approver))[1]
    services.signoff._source_hashes = lambda: {"examples/meeting-notes.md": "f" * 64}
    services.signoff.check_drift(team.author)
    assert any(f.rule == "source-drift" for f in services.signoff.flags(services.store.get_draft("d-0001",
                                                                                                 approved.version)))



def test_two_approvals_of_one_version_at_once_give_one_approval(services, team, settings):
    """Two UI processes (two Services over one store) approving the same version at the same moment."""
    import threading

    from app.services import Services

    _submitted(services, team)
    other = Services(settings)
    barrier, outcomes = threading.Barrier(2), []

    def approve(svc) -> None:  # noqa: ANN001 - Services
        identity = svc.accounts.authenticate("dana", password("dana"))
        barrier.wait()
        try:
            outcomes.append(_approve(svc, identity))
        except RegistryError as exc:  # already approved, or a conflict with the approval that won
            outcomes.append(exc)

    threads = [threading.Thread(target=approve, args=(svc,)) for svc in (services, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    other.close()
    approved = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(outcomes) == 2 and len(approved) == 1, outcomes
    record = services.store.get_draft("d-0001")
    assert record.status == "approved"
    assert len(services.signoff.signatures(record)) == 1
    assert [e.action for e in services.store.audit_log()].count("approved") == 1
    assert services.store.verify_audit().ok
