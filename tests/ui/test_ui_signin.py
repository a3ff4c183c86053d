"""Sign-in under AppTest: the login page first, generic failures, lockout, idle timeout, roles,
re-authentication at signing, two sessions, and OIDC logins (through ``oidc_claims`` only)."""

from __future__ import annotations

import time

import pytest
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto

import app.ui.identity as ui_identity
from app.models import SECTION_TITLES
from tests.support.people import password
from tests.ui.ui_helpers import (
    OWNER,
    OWNER_LOGIN,
    WAIVER_REASON,
    button,
    create_draft,
    identity_of,
    ingest_notes,
    new_session,
    no_errors,
    open_review,
    plain_texts,
    services_of,
    sign_approved,
    sign_in,
    state_of,
    submitted_draft,
)

WORKSPACE = ["page_scripts/sources.py", "page_scripts/draft.py", "page_scripts/review.py",
             "page_scripts/registry.py"]


def sign_in_error(at) -> str:  # noqa: ANN001 - AppTest
    """The error shown under the login form (the page stays the sign-in page)."""
    assert at.title[0].value == "Sign in to sopdraft"
    [error] = [e.value.replace("\\", "") for e in at.error]
    return error


def sign_problems(at) -> list[str]:  # noqa: ANN001 - AppTest
    """The 'Before you can sign' list of the Review page."""
    [block] = [m.value for m in at.markdown if m.value.startswith("**Before you can sign")]
    return [line.removeprefix("- ").replace("\\", "") for line in block.splitlines()[1:]]


def test_the_login_page_is_the_only_page_before_sign_in(login_page, team):
    no_errors(login_page)
    assert login_page.title[0].value == "Sign in to sopdraft"
    assert [t.label for t in login_page.text_input] == ["Login", "Password"]
    assert login_page.text_input(key="login-password").proto.type == TextInputProto.PASSWORD
    assert not login_page.sidebar.button and "Signed in as" not in plain_texts(login_page)
    for page in WORKSPACE:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            login_page.switch_page(page)


def test_a_fresh_install_says_how_to_create_the_first_admin(login_page):
    assert "sopdraft user add" in plain_texts(login_page)


def test_a_wrong_password_and_an_unknown_user_get_the_same_message(login_page, team):
    sign_in(login_page, "ana", "not-her-password-at-all")
    wrong_password = sign_in_error(login_page)
    sign_in(login_page, "nobody", "not-her-password-at-all")
    unknown_user = sign_in_error(login_page)
    assert wrong_password == unknown_user == "Sign-in failed: unknown user or wrong password"
    assert login_page.text_input(key="login-password").value == "", "the password is never kept"
    assert identity_of(login_page) is None


def test_five_failures_lock_the_account_even_for_the_right_password(login_page, team):
    for _ in range(5):
        sign_in(login_page, "ana", "not-her-password-at-all")
    sign_in(login_page, "ana")
    assert "too many failed sign-ins; try again after" in sign_in_error(login_page)
    assert identity_of(login_page) is None
    actions = [e.action for e in services_of(login_page).store.audit_log(limit=50)]
    assert "account_locked" in actions and "login_refused_locked" in actions


def test_signing_in_opens_the_workspace_and_names_the_user(app):
    no_errors(app)
    assert app.title[0].value == "Sources"
    [line] = [m.value for m in app.sidebar.markdown if "Signed in as" in m.value]
    assert "Ana Lopez" in line and "author" in line and "reviewer" in line
    assert any(b.label == "Sign out" for b in app.sidebar.button)


def test_sign_out_returns_to_the_login_page(app):
    button(app, "Sign out").click().run()
    assert app.title[0].value == "Sign in to sopdraft" and identity_of(app) is None
    assert "logout" in [e.action for e in services_of(app).store.audit_log(limit=20)]


def test_idle_timeout_signs_out(app, settings):
    state_of(app).last_seen = time.monotonic() - settings.auth.idle_timeout_minutes * 60 - 1
    app.run()
    assert app.title[0].value == "Sign in to sopdraft" and identity_of(app) is None
    assert any("Signed out after 30 minutes without activity" in i.value.replace("\\", "") for i in app.info)


def test_activity_keeps_the_session(app, settings):
    state_of(app).last_seen = time.monotonic() - settings.auth.idle_timeout_minutes * 60 + 30
    app.run()
    assert app.title[0].value == "Sources" and identity_of(app) is not None


def test_a_disabled_account_is_signed_out_at_the_next_click(app, team):
    services_of(app).accounts.set_disabled(team.admin, "ana")
    app.run()
    assert app.title[0].value == "Sign in to sopdraft" and identity_of(app) is None
    assert any("was disabled" in e.value for e in app.error)


def test_a_role_removed_by_an_admin_is_gone_at_the_next_click(app, team):
    services_of(app).accounts.set_roles(team.admin, "ana", ["reviewer"])
    app.run()
    assert "Adding sources needs the author role" in plain_texts(app)
    assert identity_of(app).roles == {"reviewer"}


def test_no_page_has_a_box_to_type_a_name(app, team):
    ingest_notes(app)
    create_draft(app)
    labels = []
    for page in WORKSPACE:
        app.switch_page(page).run()
        no_errors(app)
        labels += [t.label for t in app.text_input]
        if page.endswith("review.py"):
            for section in ["other", *SECTION_TITLES]:
                app.radio[0].set_value(section).run()
                labels += [t.label for t in app.text_input]
    assert labels, "the pages do have text inputs (search, reasons, titles)"
    typed_names = [label for label in labels if any(word in label.lower() for word in
                                                    ("name", "owner", "author", "approver", "reviewer", "signed by"))]
    assert typed_names == []


def test_the_owner_cannot_sign_without_her_password_again(app, team, second_session):
    record = submitted_draft(app, team)
    dana = open_review(second_session(OWNER_LOGIN))
    assert f"Sign 'approved' as {OWNER}" in plain_texts(dana)
    sign_approved(dana, record, None)  # ticked, but no password typed
    assert any("Signing failed" in e.value for e in dana.error)
    assert services_of(dana).store.get_draft(record.draft_id).status == "in_review"


def test_a_reviewer_cannot_approve(app, team, second_session):
    record = submitted_draft(app, team)
    sam = open_review(second_session("sam"))
    no_errors(sam)
    problems = sign_problems(sam)
    assert any("signing 'approved' needs the approver role; Sam Okafor has reviewer" in p for p in problems)
    assert any(f"only the SOP's owner, {OWNER}, may approve it" in p for p in problems)
    assert not [t for t in sam.text_input if str(t.key).endswith(":password")]
    assert services_of(sam).store.get_draft(record.draft_id).status == "in_review"


@pytest.mark.parametrize("login, roles, problem", [
    ("lee", ["approver"], f"only the SOP's owner, {OWNER}, may approve it"),
    ("alex", None, "signing 'approved' needs the approver role; Alex Morgan has admin"),
])
def test_only_the_owner_may_approve(app, team, second_session, login, roles, problem):
    if roles:
        services_of(app).accounts.add_user(team.admin, login=login, full_name="Lee Chen", roles=roles,
                                           password="correct-horse-battery-7")
    submitted_draft(app, team)
    other = new_session()
    sign_in(other, login, "correct-horse-battery-7" if roles else password(login))
    open_review(other)
    no_errors(other)
    assert problem in sign_problems(other)


def test_each_session_records_its_own_user(app, team, second_session):
    ingest_notes(app)
    draft_id = create_draft(app)
    sam = second_session("sam")
    sam.switch_page("page_scripts/review.py").run()
    [line] = [m.value for m in sam.sidebar.markdown if "Signed in as" in m.value]
    assert "Sam Okafor" in line
    area = next(a for a in sam.text_area if str(a.key).startswith("waive-reason-"))
    flag_id = area.key.removeprefix("waive-reason-")
    area.input(WAIVER_REASON)
    next(b for b in sam.button if b.label == "Waive" and b.form_id == f"waive-{flag_id}").click().run()
    no_errors(sam)
    app.switch_page("page_scripts/review.py").run()
    app.radio[0].set_value(state_of(sam).section[draft_id]).run()
    assert "Waived by Sam Okafor" in plain_texts(app)
    assert "recorded as Ana Lopez" in plain_texts(app) and "recorded as Sam Okafor" in plain_texts(sam)
    [waiver] = services_of(app).store.get_draft(draft_id).waivers
    assert waiver.author == "Sam Okafor"


def test_roles_decide_what_the_pages_offer(app, team, second_session):
    ingest_notes(app)
    create_draft(app)
    dana = second_session(OWNER_LOGIN)
    assert "Adding sources needs the author role" in plain_texts(dana) and not dana.file_uploader
    dana.switch_page("page_scripts/draft.py").run()
    assert "Drafting needs the author role" in plain_texts(dana) and not dana.text_area
    dana.switch_page("page_scripts/review.py").run()
    dana.radio[0].set_value("purpose").run()
    no_errors(dana)
    assert "Editing needs the author or reviewer role" in plain_texts(dana)
    assert not [b for b in dana.button if b.label.startswith(("Save as", "Regenerate", "Submit", "Waive"))]


# -- OIDC: the provider's login is read through app.ui.identity.oidc_claims (replaced here) --------------

OIDC_SECRETS = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "test-only",
                         "client_id": "sopdraft", "client_secret": "test-only",
                         "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}


@pytest.fixture
def oidc_login(monkeypatch: pytest.MonkeyPatch, login_page):  # noqa: ANN001 - AppTest
    """``oidc_login(**claims)``: a new session whose provider login carries ``claims`` (None: no login)."""

    def open_with(**claims):  # noqa: ANN202, ANN003 - AppTest
        claims = {"iss": "http://127.0.0.1:9", "auth_time": int(time.time()), **claims}
        monkeypatch.setattr(ui_identity, "oidc_claims", lambda: dict(claims))
        return new_session(OIDC_SECRETS)

    return open_with


def test_the_login_page_offers_the_organisation_login_when_configured(monkeypatch, login_page):
    monkeypatch.setattr(ui_identity, "oidc_claims", lambda: None)
    at = new_session(OIDC_SECRETS)
    assert any(b.label == "Sign in with your organisation" for b in at.button)
    assert identity_of(at) is None


def test_an_oidc_login_maps_to_a_user_without_roles(oidc_login, team):
    at = oidc_login(sub="lee-123", email="lee@example.org", name="Lee Chen")
    no_errors(at)
    identity = identity_of(at)
    assert identity.method == "oidc" and identity.user.full_name == "Lee Chen" and identity.roles == set()
    assert "Signed in as **Lee Chen** (no roles)" in [m.value for m in at.sidebar.markdown][0]
    assert "Adding sources needs the author role" in plain_texts(at)


def test_an_oidc_name_is_shown_as_literal_text(oidc_login, team):
    at = oidc_login(sub="mal-1", email="mal@example.org", name="Mal [click](http://evil.example) :red[x]")
    [line] = [m.value for m in at.sidebar.markdown if "Signed in as" in m.value]
    assert r"Mal \[click\]\(http\:\/\/evil\.example\) \:red\[x\]" in line


def test_an_oidc_signer_must_sign_in_again_with_the_provider(oidc_login, app, team):
    lee = oidc_login(sub="lee-123", email="lee@example.org", name="Lee Chen")
    login = identity_of(lee).user.login
    services_of(app).accounts.set_roles(team.admin, login, ["approver"])
    ingest_notes(app)
    draft_id = create_draft(app)
    submit = services_of(app).signoff.submit(team.author, draft_id, owner_login=login)
    for flag in services_of(app).signoff.blockers(submit):
        services_of(app).signoff.waive(team.reviewer, draft_id, flag.flag_id, reason=WAIVER_REASON)
    lee.switch_page("page_scripts/review.py").run()
    no_errors(lee)
    assert "Sign 'approved' as Lee Chen" in plain_texts(lee)
    assert any(b.label == "Sign in again with your provider to sign" for b in lee.button)
    assert not [t for t in lee.text_input if str(t.key).endswith(":password")], "no password for an OIDC account"
    assert not any(b.label == "Complete the signature" for b in lee.button), "no signature without a fresh login"
