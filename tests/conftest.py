"""Shared fixtures: a temporary data dir per test, the fake provider, and no network.

Real calls are blocked under test (as in pydantic-ai's testing guidance): any socket
connection to a non-loopback address fails, so a test can never reach a remote provider.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from app.services import Services
from app.settings import AuthSettings, LLMSettings, RegistrySettings, Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "examples"
HANDBOOK_DIR = REPO_ROOT / "corpus" / "tts-handbook" / "pages"


def _is_loopback(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True  # AF_UNIX and friends stay on the machine


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(fn):
        def connect(self, address):  # type: ignore[no-untyped-def]
            if not _is_loopback(address):
                raise ConnectionRefusedError(f"network blocked under test: {address!r}")
            return fn(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("SOPDRAFT_DATA_DIR", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


FAST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=64, argon2_parallelism=1)  # tests only


def test_settings(tmp_path: Path, database_url: str = "") -> Settings:
    """Settings with a fresh data dir, the fake chat model and cheap Argon2 (tests only); the store
    in ``database_url`` when given, else the SQLite file in the data dir."""
    registry = RegistrySettings(database_url=database_url or None)
    return Settings(data_dir=tmp_path / "data", llm=LLMSettings(provider="fake"), auth=FAST_AUTH, registry=registry)


test_settings.__test__ = False  # a helper, not a test


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data dir, the fake chat model and cheap Argon2 (tests only)."""
    return test_settings(tmp_path)


@pytest.fixture(scope="session")
def pg_cluster():
    """One throw-away PostgreSQL cluster per test process (skipped where PostgreSQL is not installed,
    unless SOPDRAFT_REQUIRE_POSTGRES is set, as `make test` does)."""
    from tests.support.postgres import PgCluster

    try:
        cluster = PgCluster()
    except FileNotFoundError as exc:
        if os.environ.get("SOPDRAFT_REQUIRE_POSTGRES"):
            raise
        pytest.skip(str(exc))
    yield cluster
    cluster.close()


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    url = pg_cluster.create_database()
    yield url
    pg_cluster.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request, tmp_path: Path):
    """Where a store lives, once per backend: a SQLite file, then a PostgreSQL database."""
    return tmp_path / "store.db" if request.param == "sqlite" else request.getfixturevalue("pg_url")


@pytest.fixture
def services(settings: Settings):
    """Services over the per-test settings, closed after the test."""
    svc = Services(settings)
    yield svc
    svc.close()


@pytest.fixture
def team(services):
    """An admin, an author/reviewer, a reviewer and an approver, each signed in."""
    from tests.support.people import add_team

    return add_team(services)


@pytest.fixture
def examples_dir() -> Path:
    """The sample process notes shipped in examples/."""
    return EXAMPLES_DIR


@pytest.fixture
def handbook_copy(tmp_path: Path) -> Path:
    """A private copy of the real TTS handbook pages (corpus/tts-handbook), which tests may change."""
    import shutil

    dest = tmp_path / "handbook"
    shutil.copytree(HANDBOOK_DIR, dest)
    return dest


def make_cli(services: Services, *command_modules):
    """Invoke commands of ``command_modules`` against ``services`` (no Settings from the env).

    Returns ``invoke(*args, token="", input=None)`` giving Typer's ``Result``; arguments are
    turned into strings, ``token`` stands for ``SOPDRAFT_TOKEN`` and ``input`` is standard input.
    """
    from app.cli.common import TOKEN_META

    app = typer.Typer()
    token_box = {"token": ""}

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = services
        ctx.meta[TOKEN_META] = token_box["token"]

    for module in command_modules:
        module.register(app)
    runner = CliRunner()

    def invoke(*args, token: str = "", input: str | None = None):  # noqa: ANN002, ANN202, A002
        token_box["token"] = token
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke
