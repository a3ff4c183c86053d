"""Fixtures of the registry tests: a store per test and a created draft."""

from __future__ import annotations

import pytest
from registry_helpers import ANA, make_draft

from app.registry.store import Store
from tests.conftest import test_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path):
    """The per-test settings once per store backend: everything above the store runs on both."""
    return test_settings(tmp_path, request.getfixturevalue("pg_url") if request.param == "postgresql" else "")


@pytest.fixture
def store(store_location):
    """A fresh store per test, on each backend."""
    s = Store(store_location)
    yield s
    s.close()


@pytest.fixture
def created(store: Store):
    """The store with one draft created (version 1)."""
    return store.create_draft(make_draft(), actor=ANA)
