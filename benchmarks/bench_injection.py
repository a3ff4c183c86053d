"""Benchmark the prompt-injection scanner: labelled sets, the handbook, and its cost against ingest.

  labelled FILE...  recall and false-alarm rate on labelled JSONL rows ({"label": "attack"|"benign",
                    "style", "lang", "text", ...}), overall and per style and language, for the
                    patterns alone (the baseline) and for patterns plus meaning (ours)
  handbook          pages of the TTS handbook with a finding (target 0), and each finding
  cost [--files N] [--rounds R]  ingest of N handbook pages vs. scanning all their chunks, in the same run
                    (target: scanning <= 5% of ingest time)

Run: .venv/bin/python benchmarks/bench_injection.py labelled tests/privacy/labelled/blind-a.jsonl
The end-to-end drafting benchmark is benchmarks/bench_injection_e2e.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
HANDBOOK = REPO / "corpus" / "tts-handbook" / "pages"


def flagged_rows(rows: list[dict], embed) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """Row id -> whether the scanner (with ``embed``; patterns only when None) finds anything."""
    from app.injection import scan_chunks

    hits = {f.chunk_id for f in scan_chunks({r["id"]: r["text"] for r in rows}, embed)}
    return {r["id"]: r["id"] in hits for r in rows}


def score(rows: list[dict], flagged: dict[str, bool]) -> dict[str, object]:
    """Recall and false-alarm rate overall and per style and per language."""
    def rates(subset: list[dict]) -> str:
        att = [r for r in subset if r["label"] == "attack"]
        ben = [r for r in subset if r["label"] != "attack"]
        caught = sum(flagged[r["id"]] for r in att)
        alarms = sum(flagged[r["id"]] for r in ben)
        return (f"recall {caught}/{len(att)}" + (f" = {caught / len(att):.2f}" if att else "")
                + f"; false alarms {alarms}/{len(ben)}" + (f" = {alarms / len(ben):.3f}" if ben else ""))

    out: dict[str, object] = {"all": rates(rows)}
    for key in ("style", "lang"):
        groups: dict[str, list[dict]] = defaultdict(list)
        for r in rows:
            groups[str(r.get(key, "?"))].append(r)
        out[key] = {name: rates(group) for name, group in sorted(groups.items())}
    return out


def cmd_labelled(files: list[str], show: bool) -> None:
    from ingest.embeddings import MiniLMEmbedder

    embed = MiniLMEmbedder().embed
    for name in files:
        rows = [json.loads(line) for line in Path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
        print(f"== {name}: {sum(r['label'] == 'attack' for r in rows)} attacks, "
              f"{sum(r['label'] != 'attack' for r in rows)} benign")
        for label, emb in (("patterns only (baseline)", None), ("patterns + meaning (ours)", embed)):
            flagged = flagged_rows(rows, emb)
            print(f"-- {label}")
            print(json.dumps(score(rows, flagged), indent=1, ensure_ascii=False))
        if show:
            for r in rows:
                if flagged[r["id"]] != (r["label"] == "attack"):
                    kind = "MISS" if r["label"] == "attack" else "FALSE ALARM"
                    print(f"{kind} {r['id']} [{r.get('style')}/{r.get('lang')}] {r['text'][:160]!r}")


def handbook_chunks(files: list[Path] | None = None) -> dict[str, str]:
    """Chunk id -> text of the handbook pages, cut as ingest cuts them."""
    from app.settings import IngestSettings
    from ingest.chunking import chunk_document
    from ingest.loaders import LoadError, extract, read_source, walk

    out: dict[str, str] = {}
    for path in files if files is not None else walk(HANDBOOK):
        try:
            doc = extract(path, read_source(path, 50))
        except LoadError:
            continue
        for c in chunk_document(doc, path.relative_to(HANDBOOK).as_posix(), IngestSettings()):
            out[f"{c.source}#{c.chunk_id}"] = c.text
    return out


def cmd_handbook() -> None:
    from app.injection import scan_chunks
    from ingest.embeddings import MiniLMEmbedder
    from ingest.loaders import walk

    if not HANDBOOK.is_dir():
        sys.exit(f"handbook not found at {HANDBOOK}")
    chunks = handbook_chunks()
    findings = scan_chunks(chunks, MiniLMEmbedder().embed)
    pages = {f.chunk_id.split("#")[0] for f in findings}
    names = [p.relative_to(HANDBOOK).as_posix() for p in walk(HANDBOOK)]
    held_out = set(names[1::2])  # odd pages: the model trains on a sample of the even ones
    total = len({cid.split("#")[0] for cid in chunks})
    print(f"handbook: {len(pages)}/{total} pages with a finding ({len(findings)} findings in {len(chunks)} chunks); "
          f"held-out odd pages: {len(pages & held_out)}/{len(held_out & {c.split('#')[0] for c in chunks})}")
    for f in findings:
        print(f"  {f.chunk_id.split('#')[0]}: {f.kind}: {f.excerpt} {f.reason}")


def cmd_cost(count: int, rounds: int) -> None:
    """Time a real ingest of ``count`` pages, then the scan of all their chunks, ``rounds`` times
    alternating in one process (the machine is shared, so both are timed under the same load)."""
    import shutil

    from app.injection import scan_chunks
    from app.injection_semantic import passages, shipped_model
    from app.settings import Settings
    from ingest.index import SourceIndex
    from ingest.loaders import walk

    files = walk(HANDBOOK)
    if count and count < len(files):
        step = len(files) / count
        files = [files[int(i * step)] for i in range(count)]
    chunks = handbook_chunks(files)
    shipped_model()
    ingest_s: list[float] = []
    scan_s: list[float] = []
    ingest_cpu: list[float] = []
    scan_cpu: list[float] = []
    embedded: list[int] = []
    for n in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "pages"
            for f in files:
                target = root / f.relative_to(HANDBOOK)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)
            index = SourceIndex.open(Settings(data_dir=Path(tmp) / "data"))
            index.embed(["warm-up"])
            started, cpu = time.perf_counter(), time.process_time()
            index.ingest([root])
            ingest_s.append(time.perf_counter() - started)
            ingest_cpu.append(time.process_time() - cpu)

            def embed(texts: list[str]):  # type: ignore[no-untyped-def]
                embedded.append(len(texts))
                return index.embed(texts)

            started, cpu = time.perf_counter(), time.process_time()
            findings = scan_chunks(chunks, embed)
            scan_s.append(time.perf_counter() - started)
            scan_cpu.append(time.process_time() - cpu)
            index.close()
        print(f"round {n + 1}: ingest {ingest_s[-1]:.1f} s ({ingest_cpu[-1]:.1f} s CPU), scan {scan_s[-1]:.2f} s "
              f"({scan_cpu[-1]:.2f} s CPU) = {100 * scan_s[-1] / ingest_s[-1]:.1f}% wall, "
              f"{100 * scan_cpu[-1] / ingest_cpu[-1]:.1f}% CPU")
    n_passages = sum(len(passages(t)) for t in chunks.values())
    print(f"{len(files)} pages, {len(chunks)} chunks, {n_passages} passages; {embedded[-1]} passages embedded by the scan")
    print(f"total: ingest {sum(ingest_s):.1f} s wall, {sum(ingest_cpu):.1f} s CPU (baseline); scan {sum(scan_s):.2f} s "
          f"wall, {sum(scan_cpu):.2f} s CPU = {100 * sum(scan_s) / sum(ingest_s):.1f}% of ingest wall, "
          f"{100 * sum(scan_cpu) / sum(ingest_cpu):.1f}% CPU ({len(findings)} findings); target <= 5%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    lab = sub.add_parser("labelled")
    lab.add_argument("files", nargs="+")
    lab.add_argument("--show", action="store_true", help="print every miss and false alarm")
    sub.add_parser("handbook")
    cost = sub.add_parser("cost")
    cost.add_argument("--files", type=int, default=60)
    cost.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.cmd == "labelled":
        cmd_labelled(args.files, args.show)
    elif args.cmd == "handbook":
        cmd_handbook()
    else:
        cmd_cost(args.files, args.rounds)


if __name__ == "__main__":
    main()
