"""The real thing: ``streamlit run`` on a free loopback port, driven by a real Chromium.

Local accounts: the author signs in, ingests a notes folder, drafts with the fake provider and
submits to the owner; the owner signs in from a second browser, re-enters her password to
approve, and exports. OIDC: a real OpenID provider (``oidc-provider-mock``) on loopback; the
signer logs in through it and must log in there again before the signature is made.
With ``SOPDRAFT_SCREENSHOTS=1`` it also saves screenshots to docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from app.services import Services
from app.settings import Settings
from tests.support.browser import ARGS as CHROMIUM_ARGS, MISSING, find_chromium
from tests.support.net import free_port, running_server
from tests.support.people import add_team, password
from tests.ui.ui_helpers import MEETING_NOTES, OWNER, OWNER_LOGIN, TASK, WAIVER_REASON

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
SLOW = 120_000  # ms: drafting on a busy 2-core machine
OIDC_USER = {"sub": "lee-chen", "email": "lee@example.org", "name": "Lee Chen"}


@contextmanager
def streamlit_server(settings: Settings, cwd: Path, extra_env: dict[str, str] | None = None,
                     port: int | None = None) -> Iterator[str]:
    """``streamlit run app/ui/app.py`` as ``sopdraft ui`` starts it, on loopback, in ``cwd``.

    ``cwd`` is where Streamlit looks for ``.streamlit/secrets.toml``; ``port`` (default: a free
    one) must be given when those secrets name the app's redirect URI.
    """
    from app.cli.ui_cmd import streamlit_command

    if find_chromium() is None:
        pytest.skip(MISSING)
    port = port or free_port()
    command = streamlit_command(port, "127.0.0.1", settings.ingest.max_file_mb)
    env = {**os.environ, **(extra_env or {})}
    with running_server(command, port, "/_stcore/health", cwd=cwd, env=env,
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as url:
        yield url


@pytest.fixture
def people(ui_env: Settings):
    """The team's accounts in the server's store (created before the server starts)."""
    services = Services(ui_env)
    try:
        add_team(services)
    finally:
        services.close()
    return ui_env


@pytest.fixture
def browser():
    """Debian's Chromium through Playwright (Playwright's own browsers cannot be downloaded here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(find_chromium()), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_tab(browser, url: str):  # noqa: ANN001, ANN201 - playwright Browser -> Page
    """A page in a new browser context (its own cookies: another person at another computer)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1200}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(url)
    return tab


def shot(page, name: str, show=None) -> None:  # noqa: ANN001 - playwright Page and Locator
    """Save a screenshot to docs/screenshots/ when SOPDRAFT_SCREENSHOTS=1 (scrolled to ``show`` if given)."""
    if os.environ.get("SOPDRAFT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if show is not None:
            show.scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # let the last delta paint
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=show is None)


def nav(page, title: str) -> None:  # noqa: ANN001 - playwright Page
    """Open a page from the sidebar and wait for its heading."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title if title != "Draft" else "Draft an SOP").first.wait_for()


def sign_in(page, login: str) -> None:  # noqa: ANN001 - playwright Page
    """Sign in through the login form and wait for the workspace."""
    page.get_by_role("heading", name="Sign in to sopdraft").wait_for()
    page.get_by_role("textbox", name="Login").fill(login)
    page.get_by_role("textbox", name="Password").fill(password(login))
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("stSidebar").get_by_text("Signed in as").wait_for()


def click_when_enabled(page, name: str) -> None:  # noqa: ANN001 - playwright Page
    """Click the button labelled ``name`` once Streamlit has enabled it."""
    button = page.get_by_role("button", name=name)
    button.wait_for()
    page.wait_for_function("(name) => [...document.querySelectorAll('button')].some("
                           "b => b.innerText.includes(name) && !b.disabled)", arg=name)
    button.click()


def waive_blockers(settings: Settings, draft_id: str) -> None:
    """Waive the blockers left in the server's store as the reviewer (AppTest waives by hand)."""
    services = Services(settings)
    try:
        sam = services.accounts.authenticate("sam", password("sam"))
        record = services.store.get_draft(draft_id)
        for flag in services.signoff.blockers(record):
            services.signoff.waive(sam, draft_id, flag.flag_id, reason=WAIVER_REASON)
    finally:
        services.close()


def only_draft(settings: Settings) -> str:
    """The id of the one draft in the server's store."""
    services = Services(settings)
    try:
        [summary] = services.store.list_drafts()
        return summary.draft_id
    finally:
        services.close()


def test_local_sign_in_submit_and_approve_with_the_password_again(browser, people: Settings, tmp_path: Path):
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(MEETING_NOTES, notes / MEETING_NOTES.name)
    with streamlit_server(people, tmp_path) as url:
        ana = open_tab(browser, url)
        ana.get_by_role("heading", name="Sign in to sopdraft").wait_for()
        shot(ana, "0-sign-in")
        sign_in(ana, "ana")
        ana.get_by_text("No sources yet").wait_for()
        ana.get_by_label("…or a folder (or file) on this machine").fill(str(notes))
        ana.get_by_role("button", name="Ingest").click()
        ana.get_by_text("Ingest finished").wait_for(timeout=SLOW)
        shot(ana, "1-sources")

        nav(ana, "Draft")
        ana.get_by_test_id("stMainBlockContainer").get_by_text("Chat model ready").wait_for()
        ana.get_by_label("What is the procedure for?").fill(TASK)
        shot(ana, "2-draft")
        ana.get_by_role("button", name="Draft").click()
        ana.get_by_role("heading", name="Review").wait_for(timeout=SLOW)
        ana.get_by_role("button", name="Submit version 1 for review").wait_for()
        shot(ana, "3-review")
        click_when_enabled(ana, "Submit version 1 for review")
        ana.get_by_text("is in review").wait_for()
        draft_id = only_draft(people)
        waive_blockers(people, draft_id)

        dana = open_tab(browser, url)  # another browser: her own session and cookies
        sign_in(dana, OWNER_LOGIN)
        nav(dana, "Review")
        dana.get_by_text(f"Sign 'approved' as {OWNER}").wait_for()
        dana.get_by_text("I have read this exact text").click()
        dana.get_by_role("textbox", name=re.compile("^Your password")).fill("not-my-password")
        shot(dana, "5-signing", show=dana.get_by_role("button", name="Sign version 2"))
        click_when_enabled(dana, "Sign version 2")
        dana.get_by_text("unknown user or wrong password").wait_for()  # the confirmation stays ticked
        dana.get_by_role("textbox", name=re.compile("^Your password")).fill(password(OWNER_LOGIN))
        click_when_enabled(dana, "Sign version 2")
        dana.get_by_text("Approved:").wait_for()
        dana.get_by_text(f"Approved by {OWNER}").first.wait_for()

        nav(dana, "Registry")
        dana.get_by_role("button", name=re.compile("^Export")).click()
        dana.get_by_text("Exported").first.wait_for(timeout=SLOW)
        with dana.expect_download() as download:
            dana.get_by_role("button", name="Download MD").click()
        shot(dana, "4-registry")
        nav(ana, "Review")  # Ana's session is still hers, and shows Dana's approval under Dana's name
        ana.get_by_text(f"approved by {OWNER}").first.wait_for()
        assert "Ana Lopez" in ana.get_by_test_id("stSidebar").inner_text()

    downloaded = Path(download.value.path()).read_text(encoding="utf-8")
    [exported] = list(people.registry_dir.glob("*/*/*.md"))
    assert downloaded == exported.read_text(encoding="utf-8")
    assert OWNER in downloaded and "status: approved" in downloaded
    index = json.loads((people.registry_dir / "index.json").read_text(encoding="utf-8"))
    assert draft_id in json.dumps(index)


# -- OIDC against a real provider on loopback ------------------------------------------------------------


@pytest.fixture
def oidc_provider() -> Iterator[str]:
    """``oidc-provider-mock`` on a free loopback port, with Lee Chen as a predefined user; yields its issuer URL."""
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--host", "127.0.0.1",
               "--user-claims", json.dumps(OIDC_USER)]
    with running_server(command, port, "/.well-known/openid-configuration",
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as url:
        yield url


def write_secrets(folder: Path, issuer: str, app_port: int) -> None:
    """``.streamlit/secrets.toml`` for the server: [auth], a login provider and a re-login (prompt=login) one."""
    provider = (f'client_id = "sopdraft"\nclient_secret = "test-only-secret"\n'
                f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n')
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    (folder / ".streamlit" / "secrets.toml").write_text(
        f'[auth]\nredirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{os.urandom(16).hex()}"\n\n'
        f"[auth.company]\n{provider}\n"
        # Streamlit forwards only some client_kwargs (prompt, not max_age) to the authorization request;
        # authorize_params reaches it unchanged. Section names must not contain underscores.
        f'[auth.signing]\n{provider}client_kwargs = {{ prompt = "login" }}\nauthorize_params = {{ max_age = 0 }}\n',
        encoding="utf-8")


def provider_login(page) -> str:  # noqa: ANN001 - playwright Page
    """On the provider's page, log in as the predefined user; returns the authorization request's URL."""
    page.get_by_role("heading", name="Authorize Client").wait_for()
    url = page.url
    page.get_by_role("button", name=OIDC_USER["sub"]).click()
    return url


def prepare_sop_owned_by_lee(settings: Settings) -> str:
    """Make Lee (first signed in through OIDC) an approver, and submit a waived draft to him; returns its id."""
    from app.drafting.service import create_draft
    from tests.ui.ui_helpers import FEW_SECTIONS

    services = Services(settings)
    try:
        admin = services.accounts.authenticate("alex", password("alex"))
        ana = services.accounts.authenticate("ana", password("ana"))
        [lee] = [u for u in services.accounts.list_users() if u.full_name == OIDC_USER["name"]]
        services.accounts.set_roles(admin, lee.login, ["approver"])
        services.index.ingest([MEETING_NOTES])
        record = create_draft(services, TASK, identity=ana, sections=FEW_SECTIONS)
        services.signoff.submit(ana, record.draft_id, owner_login=lee.login)
        return record.draft_id
    finally:
        services.close()


def test_oidc_login_and_signing_with_a_fresh_provider_login(browser, people: Settings, oidc_provider: str,
                                                            tmp_path: Path):
    port = free_port()
    write_secrets(tmp_path, oidc_provider, port)
    env = {"SOPDRAFT_AUTH__OIDC_PROVIDER": "company", "SOPDRAFT_AUTH__OIDC_REAUTH_PROVIDER": "signing"}
    with streamlit_server(people, tmp_path, env, port=port) as url:
        lee = open_tab(browser, url)
        lee.get_by_role("button", name="Sign in with your organisation").click()
        provider_login(lee)
        lee.get_by_test_id("stSidebar").get_by_text("Signed in as").wait_for()
        assert "Lee Chen" in lee.get_by_test_id("stSidebar").inner_text()

        draft_id = prepare_sop_owned_by_lee(people)
        waive_blockers(people, draft_id)
        lee.reload()
        nav(lee, "Review")
        lee.get_by_text("Sign 'approved' as Lee Chen").wait_for()
        assert lee.get_by_role("textbox", name=re.compile("^Your password")).count() == 0, "an OIDC signer proves himself to the provider"
        lee.get_by_text("I have read this exact text").click()
        click_when_enabled(lee, "Sign in again with your provider to sign")
        request = provider_login(lee)  # a fresh login at the provider, even though Lee is logged in there
        assert "prompt=login" in request and "max_age=0" in request
        lee.get_by_role("button", name="Complete the signature").wait_for()
        lee.get_by_role("button", name="Complete the signature").click()
        lee.get_by_text("Approved:").wait_for()

        lee.get_by_role("button", name="Sign out").click()  # ends the provider's session too
        lee.get_by_role("button", name="End session").click()
        lee.get_by_role("heading", name="Sign in to sopdraft").wait_for()

    services = Services(people)
    try:
        record = services.store.get_draft(draft_id)
        [signature] = services.signoff.signatures(record)
    finally:
        services.close()
    assert record.status == "approved" and record.approval.approver == "Lee Chen"
    assert signature.record.signer_name == "Lee Chen" and signature.record.auth_method == "oidc"
