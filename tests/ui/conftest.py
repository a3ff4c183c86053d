"""Fixtures for the UI tests: the app under AppTest, configured only through the environment,
with a team of accounts in the same store and a session signed in through the real login form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import LLMSettings, Settings
from tests.conftest import FAST_AUTH
from tests.support.drafting import canned_answer_responses
from tests.support.people import Team, add_team
from tests.ui.ui_helpers import new_session, services_of, sign_in


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Per-test settings: a fresh data dir, the fake model with the lead's canned replies, cheap Argon2."""
    return Settings(data_dir=tmp_path / "data", auth=FAST_AUTH,
                    llm=LLMSettings(provider="fake", fake_responses=canned_answer_responses()))


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``SOPDRAFT_*`` variables that make ``Settings()`` equal ``settings`` (what ``sopdraft ui`` passes)."""
    auth = settings.auth
    return {
        "SOPDRAFT_DATA_DIR": str(settings.data_dir),
        "SOPDRAFT_LLM__PROVIDER": settings.llm.provider,
        "SOPDRAFT_LLM__FAKE_RESPONSES": json.dumps(settings.llm.fake_responses),
        "SOPDRAFT_REGISTRY__GIT_COMMIT": "false",
        "SOPDRAFT_AUTH__ARGON2_TIME_COST": str(auth.argon2_time_cost),
        "SOPDRAFT_AUTH__ARGON2_MEMORY_KIB": str(auth.argon2_memory_kib),
        "SOPDRAFT_AUTH__ARGON2_PARALLELISM": str(auth.argon2_parallelism),
    }


@pytest.fixture
def ui_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment the app reads its settings from (what ``sopdraft ui`` would pass)."""
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    return settings


@pytest.fixture
def login_page(ui_env: Settings):
    """A fresh AppTest of the whole app, run once (nobody signed in); its services are released afterwards."""
    import streamlit as st

    at = new_session()
    yield at
    st.cache_resource.clear()  # closes the Services this test's settings built


@pytest.fixture
def team(login_page) -> Team:  # noqa: ANN001 - AppTest
    """An admin, an author/reviewer, a reviewer and an approver, in the app's own store."""
    return add_team(services_of(login_page))


@pytest.fixture
def app(login_page, team: Team):  # noqa: ANN001 - AppTest
    """The app with the author (Ana Lopez: author and reviewer) signed in through the login form."""
    sign_in(login_page, "ana")
    return login_page


@pytest.fixture
def second_session(app, team: Team):  # noqa: ANN001 - AppTest
    """Open another browser session of the same app: ``second_session("dana")`` is Dana signed in."""

    def open_as(login: str):  # noqa: ANN202 - AppTest
        at = new_session()
        sign_in(at, login)
        return at

    return open_as
