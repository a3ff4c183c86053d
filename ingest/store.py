"""Chroma access: client construction, chunk (de)serialisation, and paged id listing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import urlparse

from ingest.chunking import Chunk
from ingest.models import SearchHit

if TYPE_CHECKING:
    from pathlib import Path

    from app.settings import IngestSettings

_PAGE = 5000


def make_client(ingest: "IngestSettings", index_dir: "Path") -> Any:
    """An embedded ``PersistentClient`` under ``index_dir/chroma``, or an ``HttpClient`` to ``chroma_url``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not ingest.chroma_url:
        return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings)
    url = urlparse(ingest.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"ingest.chroma_url {ingest.chroma_url!r} is not an http(s) URL")
    return chromadb.HttpClient(
        host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
        ssl=url.scheme == "https", settings=chroma_settings,
    )


def open_collection(client: Any, name: str, embedding_function: Any) -> Any:
    """Get or create the collection with our registered embedding function, cosine space."""
    return client.get_or_create_collection(
        name=name,
        embedding_function=embedding_function,
        configuration={"hnsw": {"space": "cosine"}},
    )


def chunk_metadata(chunk: Chunk, source_sha256: str) -> dict[str, str | int]:
    """The Chroma metadata of a chunk (Chroma metadata values cannot be None)."""
    meta: dict[str, str | int] = {
        "source": chunk.source, "heading": chunk.heading, "start": chunk.start, "end": chunk.end,
        "content_hash": chunk.content_hash, "source_sha256": source_sha256,
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    return meta


def to_hit(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> SearchHit:
    """A :class:`SearchHit` from what Chroma returns for one record."""
    return SearchHit(
        source=str(meta.get("source", "")), page=meta.get("page"), heading=str(meta.get("heading", "")),
        chunk_id=chunk_id, score=score, text=text or "", start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)), source_sha256=str(meta.get("source_sha256", "")),
    )


def all_ids(collection: Any) -> set[str]:
    """Every id in the collection, fetched page by page."""
    ids: set[str] = set()
    offset = 0
    while True:
        page = collection.get(include=[], limit=_PAGE, offset=offset)["ids"]
        ids.update(page)
        if len(page) < _PAGE:
            return ids
        offset += _PAGE


def delete_ids(collection: Any, ids: Iterable[str], batch: int) -> None:
    """Delete ``ids`` in slices the server accepts (deleting absent ids is harmless)."""
    pending = list(ids)
    for begin in range(0, len(pending), batch):
        collection.delete(ids=pending[begin : begin + batch])
