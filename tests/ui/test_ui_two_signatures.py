"""A team that requires ``registry.signatures = ["reviewed", "approved"]``: the reviewer signs first,
with his own password in his own session, and only then may the owner approve."""

from __future__ import annotations

import json

import pytest

from app.settings import Settings
from tests.support.people import password
from tests.ui.ui_helpers import OWNER, OWNER_LOGIN, button, no_errors, open_review, plain_texts, services_of, \
    sign_approved, submitted_draft


@pytest.fixture
def ui_env(ui_env: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The usual environment, plus two required signatures."""
    monkeypatch.setenv("SOPDRAFT_REGISTRY__SIGNATURES", json.dumps(["reviewed", "approved"]))
    return ui_env


def test_the_review_signature_comes_before_the_approval(app, team, second_session):
    record = submitted_draft(app, team)
    dana = open_review(second_session(OWNER_LOGIN))
    assert "the 'reviewed' signature must come first" in plain_texts(dana)

    sam = open_review(second_session("sam"))
    form = f"sign-{record.draft_id}-{record.version}-reviewed"
    assert "Sign 'reviewed' as Sam Okafor" in plain_texts(sam)
    sam.checkbox(key=f"{form}:confirm").check()
    sam.text_input(key=f"{form}:password").input(password("sam"))
    button(sam, f"Sign version {record.version}").click().run()
    no_errors(sam)
    assert "Signed 'reviewed' on version" in plain_texts(sam)

    dana.run()
    assert "reviewed (signed by Sam Okafor)" in plain_texts(dana)
    sign_approved(dana, record, password(OWNER_LOGIN))
    no_errors(dana)
    approved = services_of(dana).store.get_draft(record.draft_id)
    assert approved.status == "approved"
    signers = [(s.record.meaning, s.record.signer_name) for s in services_of(dana).signoff.signatures(approved)]
    assert sorted(signers) == [("approved", OWNER), ("reviewed", "Sam Okafor")]
