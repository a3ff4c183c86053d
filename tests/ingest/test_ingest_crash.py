"""Killing an ingest at any moment leaves an index that the next run repairs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.settings import IngestSettings, Settings
from ingest.chunking import chunk_document
from ingest.index import SourceIndex
from ingest.loaders import extract, read_source
from ingest.store import all_ids

REPO = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from app.settings import IngestSettings, Settings
    from ingest.index import SourceIndex

    settings = Settings(data_dir=Path(sys.argv[1]), ingest=IngestSettings(embed_batch_size=4, write_batch_chunks=8))
    index = SourceIndex.open(settings)
    print("open", flush=True)
    index.ingest([Path(sys.argv[2])], progress=lambda p: print("progress", p.chunks_done, flush=True))
    print("finished", flush=True)
    """
)


def _corpus(root: Path, files: int) -> Path:
    root.mkdir()
    for n in range(files):
        paragraphs = [f"## Part {p}\n\nProcedure {n} step {p}: record the result in ledger {n * 10 + p}."
                      for p in range(3)]
        (root / f"proc-{n:02d}.md").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return root


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, ingest=IngestSettings(embed_batch_size=4, write_batch_chunks=8))


def _expected_ids(root: Path, settings: Settings) -> set[str]:
    ids = set()
    for path in sorted(root.iterdir()):
        doc = extract(path, read_source(path, 50))
        ids |= {c.chunk_id for c in chunk_document(doc, path.name, settings.ingest)}
    return ids


def _run_and_kill(data_dir: Path, corpus: Path, after_lines: int) -> bool:
    """Start an ingest in a child process and SIGKILL it after ``after_lines`` progress lines."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "ANONYMIZED_TELEMETRY": "False"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir), str(corpus)],
                             stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    seen = 0
    assert child.stdout is not None
    for line in child.stdout:
        seen += line.startswith("progress")
        if seen >= after_lines:
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=60)
    return child.returncode == -signal.SIGKILL


@pytest.mark.parametrize("after_lines", [1, 5, 10])
def test_sigkill_mid_ingest_is_repaired_by_the_next_run(tmp_path, after_lines):
    corpus = _corpus(tmp_path / "corpus", files=20)
    settings = _settings(tmp_path / "data")
    expected = _expected_ids(corpus, settings)

    assert _run_and_kill(settings.data_dir, corpus, after_lines), "the child finished before it was killed"

    index = SourceIndex.open(settings)  # reconcile runs here
    try:
        present = all_ids(index.collection)
        assert present == index.manifest.all_chunk_ids(), "manifest and Chroma disagree after repair"
        assert all(e.state == "done" for e in index.manifest.files.values())
        assert present < expected, "a partial run indexes a strict subset"

        report = index.ingest([corpus])
        assert report.exit_code == 0
        assert all_ids(index.collection) == index.manifest.all_chunk_ids() == expected
        assert index.count() == len(expected)
        assert {f.status for f in report.files} <= {"ingested", "unchanged"}
    finally:
        index.close()


def _ingested(tmp_path: Path) -> tuple[SourceIndex, Path]:
    corpus = _corpus(tmp_path / "corpus", files=3)
    index = SourceIndex.open(_settings(tmp_path / "data"))
    index.ingest([corpus])
    return index, corpus


def _reopen(index: SourceIndex) -> SourceIndex:
    index.manifest.save()
    index.close()
    return SourceIndex.open(index.settings)


def test_pending_entry_whose_upsert_finished_is_completed(tmp_path):
    index, corpus = _ingested(tmp_path)
    entry = index.manifest.files[str(corpus / "proc-00.md")]
    orphan = entry.chunks[0]
    # Simulate: new chunks written, old chunk `orphan` not yet deleted, entry still pending.
    entry.state, entry.chunks, entry.stale = "pending", entry.chunks[1:], [orphan]
    index = _reopen(index)
    try:
        repaired = index.manifest.files[str(corpus / "proc-00.md")]
        assert repaired.state == "done" and not repaired.stale
        assert orphan not in all_ids(index.collection)
        assert all_ids(index.collection) == index.manifest.all_chunk_ids()
    finally:
        index.close()


def test_pending_entry_with_missing_chunks_is_rolled_back_and_reingested(tmp_path):
    index, corpus = _ingested(tmp_path)
    key = str(corpus / "proc-01.md")
    entry = index.manifest.files[key]
    index.collection.delete(ids=entry.chunks[:1])  # the upsert stopped half-way
    entry.state = "pending"
    index = _reopen(index)
    try:
        assert key not in index.manifest.files
        assert all_ids(index.collection) == index.manifest.all_chunk_ids()
        report = index.ingest([corpus])
        assert {f.source: f.status for f in report.files}["proc-01.md"] == "ingested"
    finally:
        index.close()


def test_orphan_chunks_and_an_unreadable_manifest_are_cleaned_up(tmp_path):
    index, corpus = _ingested(tmp_path)
    index.collection.upsert(ids=["orphan"], embeddings=[[0.1] * 384], documents=["left over"])
    index = _reopen(index)
    assert "orphan" not in all_ids(index.collection)
    index.close()
    (index.settings.index_dir / "manifest.json").write_text("{not json")
    index = SourceIndex.open(index.settings)
    try:
        assert index.count() == 0 and not index.manifest.files
        assert index.ingest([corpus]).count("ingested") == 3
    finally:
        index.close()
