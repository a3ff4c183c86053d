"""Fixtures of the registry tests: a store per test and a created draft."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_helpers import ANA, make_draft

from app.registry.store import Store


@pytest.fixture
def store(tmp_path: Path):
    """A fresh store per test."""
    s = Store(tmp_path / "store.db")
    yield s
    s.close()


@pytest.fixture
def created(store: Store):
    """The store with one draft created (version 1)."""
    return store.create_draft(make_draft(), actor=ANA)
