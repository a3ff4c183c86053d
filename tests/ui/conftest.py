"""Fixtures for the UI tests: the app under AppTest, configured only through the environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.settings import LLMSettings, Settings
from tests.support.drafting import canned_section_responses

APP_SCRIPT = Path(__file__).resolve().parents[2] / "app" / "ui" / "app.py"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Per-test settings: a fresh data dir and the fake model with the lead's canned replies."""
    return Settings(data_dir=tmp_path / "data",
                    llm=LLMSettings(provider="fake", fake_responses=canned_section_responses()))


@pytest.fixture
def ui_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment the app reads its settings from (what ``sopdraft ui`` would pass)."""
    monkeypatch.setenv("SOPDRAFT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SOPDRAFT_LLM__PROVIDER", settings.llm.provider)
    monkeypatch.setenv("SOPDRAFT_LLM__FAKE_RESPONSES", json.dumps(settings.llm.fake_responses))
    monkeypatch.setenv("SOPDRAFT_REGISTRY__GIT_COMMIT", "false")
    return settings


@pytest.fixture
def app(ui_env: Settings):
    """A fresh AppTest of the whole app, run once; its services are released afterwards."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=60)
    at.run()
    yield at
    st.cache_resource.clear()  # closes the Services this test's settings built
