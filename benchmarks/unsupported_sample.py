"""Precision of ``unsupported-claim``: a blind-labelled sample of drafted statements.

``export`` reads drafts saved by ``bench_drafting.py --save DIR``. It writes every flagged
statement and as many unflagged ones (shuffled, each with the passages shown to the model
for its section) to a sample file a labeller reads, and which of them verification flagged
to a key file the labeller never sees. ``score`` compares the labels with the key.

    .venv/bin/python benchmarks/unsupported_sample.py export DRAFTS_DIR SAMPLE.jsonl KEY.json [--reverify]
    .venv/bin/python benchmarks/unsupported_sample.py score SAMPLE.jsonl LABELS.jsonl KEY.json [--now]

``--reverify`` also checks each saved draft with the verifier as it is now, so a changed
verifier is scored on the same labels: the sample then holds every statement either
version flags, the key records both, and ``score --now`` scores the current one.

A label is ``supported`` (the passages say it), ``partly`` (some of it is not said) or
``unsupported``. A flag is right when its statement is labelled ``partly`` or ``unsupported``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.models import Draft  # noqa: E402


def _unsupported(flags: list) -> set[tuple[str, str]]:
    return {(f.section, f.evidence) for f in flags if f.rule == "unsupported-claim"}


def reverified(draft: Draft, embed: object) -> set[tuple[str, str]]:
    """(section, statement) pairs the current verifier flags as unsupported in ``draft``."""
    from app.drafting.verify import verify_sop

    return _unsupported(verify_sop(draft.sop, draft.chunks, embed))


def statements(draft: Draft, now: set[tuple[str, str]] | None = None) -> list[dict]:
    """Every drafted statement (references excluded) with its section's shown passages and whether it
    was flagged (when drafted, and by the current verifier when ``now`` is given)."""
    flagged = _unsupported(draft.flags)
    now = flagged if now is None else now
    rows = []
    for section, item in draft.sop.cited_items():
        top = section.split(".")[0]
        if top == "references":
            continue
        shown = list(dict.fromkeys(draft.evidence.get(top, []) + list(item.citations)))
        passages = [{"source": draft.chunks[c].source, "heading": draft.chunks[c].heading, "text": draft.chunks[c].text}
                    for c in shown if c in draft.chunks]
        text = item.as_text()
        rows.append({"section": section, "statement": text, "passages": passages,
                     "flagged": (top, text) in flagged,
                     "flagged_now": (top, text) in now})
    return rows


def export(drafts_dir: Path, sample: Path, key: Path, seed: int = 7, reverify: bool = False) -> None:
    """Write the shuffled sample (no flags in it) and the key (which sample ids were flagged)."""
    embed = None
    if reverify:
        from ingest.embeddings import MiniLMEmbedder

        embed = MiniLMEmbedder().embed
    rows = []
    for path in sorted(drafts_dir.glob("*.json")):
        draft = Draft.model_validate_json(path.read_text(encoding="utf-8"))
        for row in statements(draft, reverified(draft, embed) if reverify else None):
            row["task"] = draft.task
            row["id"] = hashlib.sha256(f"{path.name}|{row['section']}|{row['statement']}".encode()).hexdigest()[:10]
            rows.append(row)
    rng = random.Random(seed)
    flagged = [r for r in rows if r["flagged"] or r["flagged_now"]]
    others = [r for r in rows if not (r["flagged"] or r["flagged_now"])]
    # Every flagged statement, and as many unflagged ones again (at least 20), so the labeller
    # cannot tell which is which and recall can be estimated on the unflagged share.
    rows = flagged + rng.sample(others, min(len(others), max(20, len(flagged))))
    rng.shuffle(rows)
    with sample.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps({k: row[k] for k in ("id", "task", "section", "statement", "passages")}) + "\n")
    key.write_text(json.dumps({"unflagged_in_drafts": len(others), "flagged": {row["id"]: row["flagged"] for row in rows},
                               "flagged_now": {row["id"]: row["flagged_now"] for row in rows}},
                              indent=1) + "\n", encoding="utf-8")
    print(f"{len(rows)} statements ({len(flagged)} flagged, {len(rows) - len(flagged)} of {len(others)} unflagged) "
          f"-> {sample}, {key}")


def score(sample: Path, labels: Path, key: Path, now: bool = False) -> None:
    """Precision (and recall) of the flags (``now``: the re-verified ones) against the labels.

    The recall estimate takes the sampled statements that neither verifier flagged as
    representative of all statements neither flagged.
    """
    keyed = json.loads(key.read_text(encoding="utf-8"))
    flagged = keyed.get("flagged_now", keyed["flagged"]) if now else keyed["flagged"]
    either = {i for table in ("flagged", "flagged_now") for i, hit in keyed.get(table, {}).items() if hit}
    label = {}
    for line in labels.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            label[row["id"]] = row["label"]
    ids = [json.loads(line)["id"] for line in sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    missing = [i for i in ids if i not in label]
    if missing:
        raise SystemExit(f"{len(missing)} statements have no label, e.g. {missing[0]}")
    bad = {i for i in ids if label[i] in ("partly", "unsupported")}
    hit = [i for i in ids if flagged[i]]
    right = [i for i in hit if i in bad]
    print(f"statements {len(ids)}  labelled not supported {len(bad)}  flagged {len(hit)}")
    print(f"precision of unsupported-claim {len(right)}/{len(hit)} = {len(right) / max(1, len(hit)):.2f}")
    print(f"recall in the sample {len(right)}/{len(bad)} = {len(right) / max(1, len(bad)):.2f}")
    sampled = [i for i in ids if i not in either]
    missed_share = sum(i in bad for i in sampled) / max(1, len(sampled))
    # Statements the other verifier flagged and this one did not are all in the sample.
    missed = missed_share * keyed["unflagged_in_drafts"] + sum(i in bad for i in ids if i in either and not flagged[i])
    print(f"unflagged but not supported: {missed_share:.0%} of the sampled unflagged, ~{missed:.0f} of "
          f"{keyed['unflagged_in_drafts']} in the drafts; estimated recall {len(right) / max(1, len(right) + missed):.2f}")
    for i in hit:
        if i not in bad:
            print(f"  false flag {i}: labelled {label[i]}")


def main() -> None:
    """Parse arguments and run a subcommand."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("export")
    ex.add_argument("drafts", type=Path)
    ex.add_argument("sample", type=Path)
    ex.add_argument("key", type=Path)
    sc = sub.add_parser("score")
    sc.add_argument("sample", type=Path)
    sc.add_argument("labels", type=Path)
    sc.add_argument("key", type=Path)
    ex.add_argument("--reverify", action="store_true", help="also flag with the verifier as it is now")
    sc.add_argument("--now", action="store_true", help="score the re-verified flags")
    args = parser.parse_args()
    if args.command == "export":
        export(args.drafts, args.sample, args.key, reverify=args.reverify)
    else:
        score(args.sample, args.labels, args.key, now=args.now)


if __name__ == "__main__":
    main()
