"""One index shared by several ingests and readers: ingests are serialised, readers never see a half-written file."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.settings import IngestSettings
from ingest.index import SourceIndex
from tests.ingest.test_ingest_server import chroma_url  # noqa: F401 - the Chroma server fixture

REPO = Path(__file__).resolve().parents[2]
FERRY = ("# Ferry bookings\n\nThe travel desk books every ferry crossing through Wavecrest Ferries and keeps the "
         "booking reference in the travel log for two years.\n")
GLACIER = ("# Glacier permits\n\nField staff apply for a glacier access permit from the park office at least ten "
           "days before the trip; the field lead signs the application.\n")


def _folder(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / f"{name}.md").write_text(text, encoding="utf-8")
    return folder


def _pause_after_write(index: SourceIndex, written: threading.Event, go_on: threading.Event) -> None:
    """Make ``index`` stop between writing a batch's chunks to Chroma and marking the files done."""
    real = index.write_chunks

    def write_then_wait(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        real(*args, **kwargs)
        written.set()
        assert go_on.wait(60), "the test never let the ingest finish"

    index.write_chunks = write_then_wait  # type: ignore[method-assign]


def test_a_reader_never_sees_the_chunks_of_a_file_still_being_written(settings, tmp_path):
    index = SourceIndex.open(settings)
    assert index.ingest([_folder(tmp_path, "ferry", FERRY)]).exit_code == 0
    written, go_on = threading.Event(), threading.Event()
    _pause_after_write(index, written, go_on)
    writer = threading.Thread(target=index.ingest, args=([_folder(tmp_path, "glacier", GLACIER)],))
    writer.start()
    try:
        assert written.wait(60)
        in_chroma = index.collection.get(where={"source": "glacier.md"})["ids"]
        assert in_chroma, "the new file's chunks are in Chroma already"
        assert all(h.source == "ferry.md" for h in index.search("glacier access permit park office", k=5))
        assert index.get(in_chroma) == [] and index.chunks_of("glacier.md") == []
        assert [s.source for s in index.sources()] == ["ferry.md"]
    finally:
        go_on.set()
        writer.join(60)
    assert index.search("glacier access permit park office", k=1)[0].source == "glacier.md"
    index.close()


def test_two_ingests_of_one_index_wait_for_each_other_and_both_land(settings, tmp_path):
    """Two index objects (as two processes hold) with their own manifest copies, ingesting at once."""
    first, second = SourceIndex.open(settings), SourceIndex.open(settings)
    written, waiting = threading.Event(), threading.Event()
    _pause_after_write(first, written, waiting)
    seen: list[str] = []

    def on_progress(p) -> None:  # noqa: ANN001 - IngestProgress
        seen.append(p.current)
        if p.current.startswith("waiting for another ingest"):
            waiting.set()

    one = threading.Thread(target=first.ingest, args=([_folder(tmp_path, "ferry", FERRY)],))
    one.start()
    assert written.wait(60)
    report = second.ingest([_folder(tmp_path, "glacier", GLACIER)], progress=on_progress)
    one.join(60)
    assert seen[0] == "waiting for another ingest of this index to finish"
    assert report.exit_code == 0
    first.close()
    second.close()
    again = SourceIndex.open(settings)
    assert [s.source for s in again.sources()] == ["ferry.md", "glacier.md"]
    assert again.count() == len(again.manifest.all_chunk_ids())
    assert again.search("glacier access permit", k=1)[0].source == "glacier.md"
    assert again.search("ferry booking reference", k=1)[0].source == "ferry.md"
    again.close()


@pytest.mark.server
def test_two_processes_ingesting_into_one_chroma_server_both_land(settings, tmp_path, chroma_url):  # noqa: F811
    folders = [_folder(tmp_path, "ferry", FERRY), _folder(tmp_path, "glacier", GLACIER)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "SOPDRAFT_LLM__PROVIDER": "fake", "HF_HUB_OFFLINE": "1",
           "ANONYMIZED_TELEMETRY": "False", "SOPDRAFT_INGEST__CHROMA_URL": chroma_url}
    command = [sys.executable, "-c", "from app.cli.main import run; run()", "--data-dir", str(settings.data_dir),
               "ingest"]
    procs = [subprocess.Popen([*command, str(folder)], env=env, cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for folder in folders]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    remote = settings.model_copy(update={"ingest": IngestSettings(chroma_url=chroma_url)})
    index = SourceIndex.open(remote)
    assert [s.source for s in index.sources()] == ["ferry.md", "glacier.md"]
    assert index.count() == len(index.manifest.all_chunk_ids())
    index.close()
