"""SourceIndex: ingest, incremental updates, search, lookups, and persistence of the embedding function."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.settings import IngestSettings, RetrievalSettings
from ingest import search as search_module
from ingest.index import SourceIndex
from ingest.store import all_ids


def assert_consistent(index: SourceIndex) -> None:
    """Manifest and Chroma hold exactly the same chunk ids, and nothing is pending."""
    assert all(e.state == "done" and not e.stale for e in index.manifest.files.values())
    assert all_ids(index.collection) == index.manifest.all_chunk_ids()


@pytest.fixture
def index(settings):
    opened = SourceIndex.open(settings)
    yield opened
    opened.close()


def test_ingest_search_and_lookups(index, notes_dir):
    report = index.ingest([notes_dir])
    assert report.exit_code == 0
    assert {f.source: f.status for f in report.files} == {
        "travel/booking.md": "ingested", "onboarding.md": "ingested", "security.txt": "ingested"}
    assert report.chunks_total == index.count() == sum(f.chunks for f in report.files)
    assert_consistent(index)

    hits = index.search("how far ahead should I reserve a plane ticket?", k=2)
    assert hits[0].source == "travel/booking.md" and "14 days" in hits[0].text
    assert hits[0].heading.startswith("Travel booking") and hits[0].score > hits[1].score
    assert len({h.chunk_id for h in hits}) == 2

    only = index.search("plane ticket", k=3, sources=["security.txt"])
    assert only and {h.source for h in only} == {"security.txt"}

    ids = [hits[1].chunk_id, "missing-id", hits[0].chunk_id]
    assert [h.chunk_id for h in index.get(ids)] == [hits[1].chunk_id, hits[0].chunk_id]

    sha = {s.source: s.sha256 for s in index.sources()}
    assert index.source_hashes() == sha and len(sha) == 3
    chunks = index.chunks_of("onboarding.md")
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert all(c.source_sha256 == sha["onboarding.md"] for c in chunks)
    assert index.embed(["x", "y"]).shape == (2, 384)


def test_unchanged_files_are_skipped_without_loading_the_model(settings, notes_dir):
    first = SourceIndex.open(settings)
    first.ingest([notes_dir])
    first.close()
    again = SourceIndex.open(settings)
    try:
        os.utime(notes_dir / "security.txt")  # new mtime, same bytes: hashed, still unchanged
        report = again.ingest([notes_dir])
        assert {f.status for f in report.files} == {"unchanged"}
        assert not again.embedding_function.loaded
        assert_consistent(again)
    finally:
        again.close()


def test_changed_and_deleted_files_replace_and_remove_their_chunks(index, notes_dir):
    index.ingest([notes_dir])
    before = set(index.manifest.all_chunk_ids())
    booking = notes_dir / "travel" / "booking.md"
    booking.write_text(booking.read_text() + "\n## Trains\n\nFirst class rail is never reimbursed.\n")
    (notes_dir / "security.txt").unlink()
    report = index.ingest([notes_dir])
    status = {f.source: f.status for f in report.files}
    assert status == {"travel/booking.md": "ingested", "onboarding.md": "unchanged", "security.txt": "removed"}
    assert_consistent(index)
    assert "security.txt" not in index.source_hashes()
    assert index.manifest.all_chunk_ids() != before
    assert "rail" in index.search("Is first class train travel paid back?", k=1)[0].text


def test_full_rebuild_gives_the_same_ids(index, notes_dir):
    index.ingest([notes_dir])
    ids = index.manifest.all_chunk_ids()
    report = index.ingest([notes_dir], full=True)
    assert report.count("ingested") == 3 and index.manifest.all_chunk_ids() == ids
    assert_consistent(index)


def test_failed_files_are_reported_and_kept_out_of_the_index(index, notes_dir, make_pdf):
    (notes_dir / "empty.md").write_bytes(b"")
    (notes_dir / "scan.pdf").write_bytes(b"%PDF-1.4 truncated")
    report = index.ingest([notes_dir, notes_dir / "absent.txt"])
    failed = {f.source: f.reason for f in report.files if f.status == "failed"}
    assert set(failed) == {"empty.md", "scan.pdf", "absent.txt"}
    assert report.exit_code == 3 and report.count("ingested") == 3
    assert not {"empty.md", "scan.pdf"} & {h.source for h in index.search("truncated", k=10)}
    assert_consistent(index)

    (notes_dir / "onboarding.md").write_bytes(b"\x00\x00binary now")
    report = index.ingest([notes_dir / "onboarding.md"])
    assert report.exit_code == 4
    assert "previous chunks were removed" in report.files[0].reason


def test_single_file_source_is_its_name_and_names_cannot_clash(index, notes_dir, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "security.txt").write_text("A different security note about visitors.")
    index.ingest([notes_dir / "security.txt"])
    assert index.source_hashes().keys() == {"security.txt"}
    report = index.ingest([other])
    assert report.files[0].status == "failed" and "already taken" in report.files[0].reason
    twins = tmp_path / "twins"
    (twins / "a").mkdir(parents=True)
    (twins / "b").mkdir()
    (twins / "a" / "same.md").write_text("Twin note.")
    (twins / "b" / "same.md").write_text("Twin note.")
    statuses = [f.status for f in index.ingest([twins / "a", twins / "b"]).files]
    assert statuses == ["ingested", "failed"] and len(index.chunks_of("same.md")) == 1


def test_changing_chunk_settings_rebuilds(settings, notes_dir):
    index = SourceIndex.open(settings)
    index.ingest([notes_dir])
    index.close()
    changed = settings.model_copy(update={"ingest": IngestSettings(chunk_size=60, chunk_overlap=0)})
    index = SourceIndex.open(changed)
    try:
        report = index.ingest([notes_dir])
        assert report.count("ingested") == 3
        assert_consistent(index)
        assert all(len(h.text) <= 80 for h in index.chunks_of("onboarding.md"))
    finally:
        index.close()


def test_collection_reopens_with_the_registered_function_not_chromas_default(settings, notes_dir, monkeypatch):
    import chromadb
    from chromadb.api import types

    index = SourceIndex.open(settings)
    index.ingest([notes_dir])
    index.close()

    def refuse(self, input):  # noqa: A002 - Chroma checks this exact signature
        raise AssertionError("Chroma's downloading default embedding function was used")

    monkeypatch.setattr(types.DefaultEmbeddingFunction, "__call__", refuse)
    client = chromadb.PersistentClient(path=str(Path(settings.index_dir) / "chroma"))
    try:
        collection = client.get_collection(settings.ingest.collection)  # no embedding_function given
        assert collection.configuration["embedding_function"].name() == "sopdraft-minilm-int8"
        assert collection.query(query_texts=["badge lost"], n_results=1)["documents"][0]
    finally:
        client.close()


def test_hybrid_search_returns_distinct_fused_hits(settings, notes_dir):
    hybrid = settings.model_copy(update={"retrieval": RetrievalSettings(hybrid=True)})
    index = SourceIndex.open(hybrid)
    try:
        index.ingest([notes_dir])
        hits = index.search("security office badge", k=3)
        assert hits[0].source == "security.txt"
        assert len({h.chunk_id for h in hits}) == len(hits) == 3
        # A dense list cut to one hit makes BM25 bring in chunks dense did not return; every
        # score stays the cosine similarity to the query, never a fused rank score.
        query = "hotel receipt, chat accounts, lost badges"
        vector = index.embed([query])
        fused = search_module._fuse(index, query, vector, 5, search_module._dense(index, vector, 1, None), None)
        stored = index.collection.get(ids=[h.chunk_id for h in fused], include=["embeddings"])
        cosine = {i: float(vector[0] @ e) for i, e in zip(stored["ids"], stored["embeddings"])}
        assert len(fused) > 1
        assert all(abs(h.score - cosine[h.chunk_id]) < 1e-4 for h in fused)
        assert index.search("badge", k=2, sources=["onboarding.md"])[0].source == "onboarding.md"
    finally:
        index.close()


def test_search_returns_each_text_once_even_when_files_repeat_it(index, notes_dir):
    paragraph = "Escalate payroll errors to the finance helpdesk within two days."
    (notes_dir / "copy-a.txt").write_text(paragraph)
    (notes_dir / "copy-b.txt").write_text(paragraph)
    index.ingest([notes_dir])
    hits = index.search("where do payroll mistakes get escalated", k=3)
    assert [h.text for h in hits].count(paragraph) == 1
    assert len(hits) == 3
