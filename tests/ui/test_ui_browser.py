"""The real thing: ``streamlit run`` on a free loopback port, driven by a real Chromium.

Ingests a notes folder, drafts with the fake provider, approves, exports, downloads the
Markdown and checks the exported file carries the approval metadata. With
``SOPDRAFT_SCREENSHOTS=1`` it also saves a screenshot of each page to docs/screenshots/.
"""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.services import Services
from app.settings import Settings
from tests.support.browser import ARGS as CHROMIUM_ARGS, MISSING, find_chromium
from tests.support.net import free_port, running_server
from tests.ui.ui_helpers import MEETING_NOTES, OWNER, TASK, clear_blockers

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
SLOW = 120_000  # ms: drafting on a busy 2-core machine


@pytest.fixture
def server(ui_env: Settings):
    """``streamlit run app/ui/app.py`` as ``sopdraft ui`` starts it, on a free loopback port."""
    from app.cli.ui_cmd import streamlit_command

    port = free_port()
    command = streamlit_command(port, "127.0.0.1", ui_env.ingest.max_file_mb)
    with running_server(command, port, "/_stcore/health", cwd=REPO, env=dict(os.environ),
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as url:
        yield url


@pytest.fixture
def chromium() -> Path:
    """The Chromium to drive; the test skips, saying so in one line, when there is none."""
    found = find_chromium()
    if found is None:
        pytest.skip(MISSING)
    return found


@pytest.fixture
def page(chromium: Path, server: str):
    """A page in the Chromium :func:`find_chromium` found."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 1200}, accept_downloads=True)
        tab.set_default_timeout(30_000)
        tab.goto(server)
        yield tab
        browser.close()


def _shot(page, name: str) -> None:  # noqa: ANN001 - playwright Page
    if os.environ.get("SOPDRAFT_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(500)  # let the last delta paint
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _nav(page, title: str) -> None:  # noqa: ANN001 - playwright Page
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title if title != "Draft" else "Draft an SOP").first.wait_for()


def _resolve_blockers(settings: Settings) -> str:
    """Name the owner and waive the open blockers in the server's store (AppTest does it by hand)."""
    services = Services(settings)
    try:
        [summary] = services.store.list_drafts()
        return clear_blockers(services, summary.draft_id).draft_id
    finally:
        services.close()


def test_draft_approve_export_in_a_real_browser(page, ui_env: Settings, tmp_path: Path):
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(MEETING_NOTES, notes / MEETING_NOTES.name)

    page.get_by_text("No sources yet").wait_for()
    _shot(page, "0-empty-sources")
    page.get_by_label("…or a folder (or file) on this machine").fill(str(notes))
    page.get_by_role("button", name="Ingest").click()
    page.get_by_text("Ingest finished").wait_for(timeout=SLOW)
    page.get_by_role("textbox", name="Search").fill("who checks the summary before it is posted")
    page.get_by_role("textbox", name="Search").press("Enter")
    page.get_by_text("score").first.wait_for()
    _shot(page, "1-sources")

    _nav(page, "Draft")
    page.get_by_test_id("stMainBlockContainer").get_by_text("Chat model ready").wait_for()
    page.get_by_label("What is the procedure for?").fill(TASK)
    page.get_by_label("Your name (recorded as the author)").fill(OWNER)
    _shot(page, "2-draft")
    page.get_by_role("button", name="Draft").click()
    page.get_by_role("heading", name="Review").wait_for(timeout=SLOW)
    page.get_by_text("Still missing before approval").wait_for()
    page.get_by_test_id("stRadio").get_by_text(re.compile(r"(blocker|note)s?$")).last.click()  # a section with findings
    page.get_by_text("Waive with a reason").first.wait_for()
    _shot(page, "3-review")

    draft_id = _resolve_blockers(ui_env)
    page.reload()
    _nav(page, "Review")
    page.get_by_text("No open blockers").wait_for()
    page.get_by_text("I am the owner and I have reviewed this exact text").click()
    approve = page.get_by_role("button", name="Approve version 2")
    approve.wait_for()
    page.wait_for_function("() => [...document.querySelectorAll('button')].some("
                           "b => b.innerText.includes('Approve version 2') && !b.disabled)")
    approve.click()
    page.get_by_text("Approved:").wait_for()

    _nav(page, "Registry")
    page.get_by_role("button", name="Export Markdown, DOCX and JSON to the registry").click()
    page.get_by_text("Exported").first.wait_for(timeout=SLOW)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download MD").click()
    _shot(page, "4-registry")

    downloaded = Path(download.value.path()).read_text(encoding="utf-8")
    [exported] = list(ui_env.registry_dir.glob("*/*/*.md"))
    assert downloaded == exported.read_text(encoding="utf-8")
    assert f"approver: {OWNER}" in downloaded and "status: approved" in downloaded
    index = json.loads((ui_env.registry_dir / "index.json").read_text(encoding="utf-8"))
    assert draft_id in json.dumps(index)
