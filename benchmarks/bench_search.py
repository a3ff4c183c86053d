"""Search quality and latency on the TTS handbook.

1. Index the whole handbook (kept in <tmp>/sopdraft-bench-search, so only the first run embeds
   the ~2.3k chunks; later runs are unchanged re-ingests).
2. recall@5 on tests/ingest/retrieval_questions.yaml: dense alone vs. dense + BM25 (RRF).
3. In-process search latency p50/p95 at ~2.3k chunks, then at ~20k chunks. The 20k collection
   re-uses the real vectors with small random noise (distinct ids, texts tagged with a copy
   number) instead of embedding 20k new chunks, which would take about 15 minutes here.
Baselines measured in the same run: the query embedding alone (the floor of any search) and a
numpy brute-force cosine top-k over the same vectors.

Usage: .venv/bin/python benchmarks/bench_search.py [--fresh]
Target: dense search p95 <= 30 ms at 20k chunks.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
HANDBOOK = REPO / "corpus" / "tts-handbook" / "pages"
QUESTIONS = REPO / "tests" / "ingest" / "retrieval_questions.yaml"
COPIES_FOR_20K = 9


def percentiles(samples: list[float]) -> str:
    """p50 and p95 of ``samples`` (seconds) in milliseconds."""
    cuts = statistics.quantiles(samples, n=20)
    return f"p50 {statistics.median(samples) * 1000:6.1f} ms, p95 {cuts[18] * 1000:6.1f} ms"


def time_calls(fns: dict, queries: list[str], rounds: int = 3) -> dict[str, list[float]]:  # type: ignore[type-arg]
    """Seconds per call of each ``fn(query)``, interleaved query by query so that load from other
    processes on a shared machine falls on every variant alike (one warm-up call each)."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn(queries[0])
    for _ in range(rounds):
        for query in queries:
            for name, fn in fns.items():
                started = time.perf_counter()
                fn(query)
                samples[name].append(time.perf_counter() - started)
    return samples


def open_handbook_index(data_dir: Path):  # type: ignore[no-untyped-def]
    """The handbook index (built or updated incrementally) and the seconds that took."""
    from app.settings import Settings
    from ingest.index import SourceIndex

    index = SourceIndex.open(Settings(data_dir=data_dir))
    started = time.perf_counter()
    report = index.ingest([HANDBOOK])
    print(f"handbook: {report.count('ingested')} ingested, {report.count('unchanged')} unchanged, "
          f"{report.count('failed')} failed (no text), {index.count()} chunks, {time.perf_counter() - started:.1f}s")
    return index


def report_recall(index) -> None:  # type: ignore[no-untyped-def]
    """recall@5 dense vs hybrid, with the missed questions."""
    from ingest.evaluation import load_questions, recall_at_k

    questions = load_questions(QUESTIONS)
    for hybrid in (False, True):
        index.settings.retrieval.hybrid = hybrid
        recall, misses = recall_at_k(index, questions, k=5)
        label = "dense+bm25" if hybrid else "dense     "
        print(f"recall@5 {label}: {recall:.3f} ({len(questions) - len(misses)}/{len(questions)})")
        for miss in misses:
            print(f"    missed: {miss.text}")
    index.settings.retrieval.hybrid = False


def brute_force(vectors, embed):  # type: ignore[no-untyped-def]
    """A numpy top-5 cosine search over ``vectors`` (the reference baseline)."""
    import numpy as np

    def run(query: str):  # type: ignore[no-untyped-def]
        scores = vectors @ embed([query])[0]
        return np.argpartition(-scores, 5)[:5]

    return run


def hybrid_search(index):  # type: ignore[no-untyped-def]
    """``search`` with BM25 fusion switched on for the one call."""
    def run(query: str):  # type: ignore[no-untyped-def]
        index.settings.retrieval.hybrid = True
        try:
            return index.search(query, 5)
        finally:
            index.settings.retrieval.hybrid = False

    return run


def report_latency(index, label: str, queries: list[str], vectors) -> None:  # type: ignore[no-untyped-def]
    """Latency of dense, hybrid, the embedding floor and brute force on ``index``."""
    print(f"--- {label}: {index.count()} chunks")
    index._lexical = None  # time a fresh build, as after an ingest
    started = time.perf_counter()
    index.lexical()
    print(f"bm25 index build     : {(time.perf_counter() - started) * 1000:.0f} ms (once per ingest)")
    samples = time_calls({
        "query embedding only": lambda q: index.embed([q]),
        "numpy brute force": brute_force(vectors, index.embed),
        "search dense": lambda q: index.search(q, 5),
        "search dense+bm25": hybrid_search(index),
    }, queries)
    for name, values in samples.items():
        print(f"{name:21s}: {percentiles(values)}")


def build_20k(source, data_dir: Path):  # type: ignore[no-untyped-def]
    """A second index holding the handbook's vectors ``COPIES_FOR_20K`` + 1 times, with noise."""
    import numpy as np

    from app.settings import Settings
    from ingest.chunking import Chunk
    from ingest.index import SourceIndex

    real = source.collection.get(include=["embeddings", "documents", "metadatas"])
    base = np.asarray(real["embeddings"], dtype=np.float32)
    rng = np.random.default_rng(7)
    index = SourceIndex.open(Settings(data_dir=data_dir))
    index.embedding_function = source.embedding_function  # same model object: no second load
    started = time.perf_counter()
    all_vectors = []
    for copy in range(COPIES_FOR_20K + 1):
        noisy = base + (rng.normal(0, 0.02, base.shape).astype(np.float32) if copy else 0)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        chunks = [Chunk(chunk_id=f"{i}-{copy}", source=m["source"], text=f"{d} [copy {copy}]", start=m["start"],
                        end=m["end"], heading=m["heading"], page=None, content_hash="")
                  for i, d, m in zip(real["ids"], real["documents"], real["metadatas"])]
        index.write_chunks(chunks, noisy, [m["source_sha256"] for m in real["metadatas"]])
        all_vectors.append(noisy)
    print(f"20k collection written in {time.perf_counter() - started:.1f}s (vectors re-used, not embedded)")
    return index, np.vstack(all_vectors)


def main() -> None:
    """Print recall and latency figures."""
    import numpy as np

    from ingest.evaluation import load_questions

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached handbook index")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "sopdraft-bench-search"
    if args.fresh:
        shutil.rmtree(cache, ignore_errors=True)
    queries = [q.text for q in load_questions(QUESTIONS)]
    index = open_handbook_index(cache)
    try:
        report_recall(index)
        vectors = np.asarray(index.collection.get(include=["embeddings"])["embeddings"], dtype=np.float32)
        report_latency(index, "handbook", queries, vectors)
        with tempfile.TemporaryDirectory(prefix="bench-search-20k-") as tmp:
            big, big_vectors = build_20k(index, Path(tmp))
            try:
                report_latency(big, "20k", queries, big_vectors)
            finally:
                big.close()
    finally:
        index.close()


if __name__ == "__main__":
    main()
