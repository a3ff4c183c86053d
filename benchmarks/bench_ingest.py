"""Ingest throughput on the TTS handbook: our pipeline vs. the embedding ceiling and a naive pipeline.

  (a) ceiling: the same model embedding our chunk texts, nothing else (MiniLMEmbedder.embed)
  (b) naive:   read each file, RecursiveCharacterTextSplitter(1000, 100), Chroma collection.add
               with Chroma's stock ONNX MiniLM embedding function pointed at the same local model
               files (pads every batch to 256 tokens, no sorting); langchain-chroma is not installed
  (c) ours:    SourceIndex.ingest on the same files, then an unchanged re-ingest (new process state)

Usage: .venv/bin/python benchmarks/bench_ingest.py [--files N] [--rounds R]   (N=0: whole handbook)
(a) and (c) run R times, alternating, and the best run of each counts: the machine is shared.
Targets: (c) >= 0.95x (a) in chunks/s; (c) >= 1.8x (b) in pages/s; unchanged re-ingest <= 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
HANDBOOK = REPO / "corpus" / "tts-handbook" / "pages"


class Clock:
    """Wall and CPU seconds of a block (CPU time is steadier on a shared, loaded machine)."""

    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def pick_files(count: int) -> list[Path]:
    """Every k-th handbook page, so a subset still spans all sections."""
    from ingest.loaders import walk

    files = walk(HANDBOOK)
    if count <= 0 or count >= len(files):
        return files
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]


def copy_subset(files: list[Path], dest: Path) -> Path:
    """Copy the chosen pages (keeping their relative paths) into ``dest``."""
    for f in files:
        target = dest / f.relative_to(HANDBOOK)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    return dest


def our_chunks(root: Path) -> list[str]:
    """The texts our pipeline embeds for ``root`` (for the ceiling run)."""
    from app.settings import IngestSettings
    from ingest.chunking import chunk_document
    from ingest.loaders import LoadError, extract, read_source, walk

    texts = []
    for path in walk(root):
        try:
            doc = extract(path, read_source(path, 50))
        except LoadError:
            continue
        texts += [c.embed_text for c in chunk_document(doc, path.relative_to(root).as_posix(), IngestSettings())]
    return texts


def run_ceiling(texts: list[str]) -> Clock:
    """Time to embed ``texts`` with the bare model."""
    from ingest.embeddings import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    embedder.embed(texts[:8])  # warm-up
    with Clock() as clock:
        embedder.embed(texts)
    return clock


def stock_embedding_function(work: Path):  # type: ignore[no-untyped-def]
    """Chroma's own ONNX MiniLM function, pointed at the installed model files (never downloads)."""
    from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

    from ingest.embeddings import locate_model_files

    files = locate_model_files()
    folder = work / "stock-model" / "onnx"
    folder.mkdir(parents=True)
    (folder / "model.onnx").symlink_to(files.model)
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "tokenizer.json", "vocab.txt"):
        (folder / name).symlink_to(files.tokenizer.parent / name)

    class LocalStock(ONNXMiniLM_L6_V2):
        DOWNLOAD_PATH = work / "stock-model"

    return LocalStock()


def run_naive(root: Path, work: Path) -> tuple[Clock, int, int]:
    """Time, chunks and files of the naive pipeline."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ingest.loaders import walk

    ef = stock_embedding_function(work)
    ef(["warm-up"])
    client = chromadb.PersistentClient(path=str(work / "naive"), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.create_collection("naive", embedding_function=ef)
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=100)
    chunks = files = 0
    with Clock() as clock:
        for path in walk(root):
            pieces = [p for p in splitter.split_text(path.read_text(encoding="utf-8", errors="replace")) if p.strip()]
            if pieces:
                rel = path.relative_to(root).as_posix()
                collection.add(ids=[f"{rel}-{i}" for i in range(len(pieces))], documents=pieces)
                chunks, files = chunks + len(pieces), files + 1
    client.close()
    return clock, chunks, files


def run_ours(root: Path, data_dir: Path) -> tuple[Clock, int, int, float]:
    """Time, chunks and files of our ingest, plus the unchanged re-ingest seconds (fresh index object)."""
    from app.settings import Settings
    from ingest.index import SourceIndex

    settings = Settings(data_dir=data_dir)
    index = SourceIndex.open(settings)
    index.embed(["warm-up"])
    with Clock() as clock:
        report = index.ingest([root])
    index.close()
    started = time.perf_counter()
    index = SourceIndex.open(settings)
    again = index.ingest([root])
    unchanged_s = time.perf_counter() - started
    index.close()
    assert again.count("unchanged") == report.count("ingested"), "re-ingest was not a no-op"
    return clock, report.chunks_added, report.count("ingested"), unchanged_s


def main() -> None:
    """Run the three pipelines on the same files and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=30, help="handbook pages to use (0 = all)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of (a) and (c), alternating; the best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        root = copy_subset(pick_files(args.files), work / "pages")
        texts = our_chunks(root)
        ceilings, ours_runs = [], []
        for n in range(max(1, args.rounds)):
            ceilings.append(run_ceiling(texts))
            ours_runs.append(run_ours(root, work / f"ours-{n}"))
            if n == 0:
                naive, naive_chunks, naive_files = run_naive(root, work)
        ceiling = min(ceilings, key=lambda c: c.wall)
        ours, ours_chunks, ours_files, unchanged_s = min(ours_runs, key=lambda r: r[0].wall)

    print(f"files: {ours_files} handbook pages (naive indexed {naive_files}); wall and CPU seconds")
    rows = [("(a) ceiling", ceiling, len(texts), None), ("(b) naive", naive, naive_chunks, naive_files),
            ("(c) ours", ours, ours_chunks, ours_files)]
    for label, clock, chunks, files in rows:
        pages = f", {files / clock.wall:5.2f} pages/s" if files else ""
        print(f"{label:12s}: {chunks:5d} chunks, wall {clock.wall:6.1f}s = {chunks / clock.wall:6.1f} chunks/s{pages};"
              f" cpu {clock.cpu:6.1f}s = {chunks / clock.cpu:6.1f} chunks/cpu-s")
    for basis in ("wall", "cpu"):
        c, n, o = (getattr(x, basis) for x in (ceiling, naive, ours))
        print(f"[{basis}] ours/ceiling chunks/s {(ours_chunks / o) / (len(texts) / c):.2f}x (target >= 0.95x); "
              f"ours/naive pages/s {(ours_files / o) / (naive_files / n):.2f}x (target >= 1.8x); "
              f"ours/naive chunks/s {(ours_chunks / o) / (naive_chunks / n):.2f}x")
    print(f"unchanged re-ingest (open + ingest): {unchanged_s:.2f}s   (target <= 2 s)")


if __name__ == "__main__":
    main()
