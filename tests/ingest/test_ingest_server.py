"""The same index code against a Chroma server (``ingest.chroma_url``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import IngestSettings
from ingest.index import SourceIndex
from tests.support.net import free_port, running_server


@pytest.fixture
def chroma_url(tmp_path: Path):
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(tmp_path / "server")]
    with running_server(command, port, "/api/v2/heartbeat", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as url:
        yield url


@pytest.mark.server
def test_ingest_and_search_through_a_chroma_server(settings, notes_dir, chroma_url):
    remote = settings.model_copy(update={"ingest": IngestSettings(chroma_url=chroma_url)})
    index = SourceIndex.open(remote)
    try:
        assert type(index.client).__name__ != "PersistentClient" and not (remote.index_dir / "chroma").exists()
        report = index.ingest([notes_dir])
        assert report.exit_code == 0 and index.count() == report.chunks_added > 0
        hit = index.search("who creates chat accounts for new staff?", k=1)[0]
        assert hit.source == "onboarding.md" and "IT creates" in hit.text
        assert index.ingest([notes_dir]).count("unchanged") == 3
    finally:
        index.close()
    reopened = SourceIndex.open(remote)
    try:
        assert reopened.count() == report.chunks_added
        assert reopened.get([hit.chunk_id])[0].text == hit.text
    finally:
        reopened.close()
