"""Accounts and permissions run on both store backends."""

from __future__ import annotations

import pytest

from tests.conftest import test_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path):
    """The per-test settings once per store backend."""
    return test_settings(tmp_path, request.getfixturevalue("pg_url") if request.param == "postgresql" else "")
