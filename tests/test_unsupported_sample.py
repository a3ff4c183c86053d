"""The unsupported-claim sample: the labeller's file never says what was flagged, and the score counts right."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from app.models import SOP, ChunkRef, Draft, Flag, Statement

ROOT = Path(__file__).resolve().parent.parent


def _module():
    spec = importlib.util.spec_from_file_location("unsupported_sample", ROOT / "benchmarks" / "unsupported_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_hides_the_flags_and_score_counts_precision(tmp_path: Path, capsys) -> None:
    sample_mod = _module()
    chunk = ChunkRef(chunk_id="c1", source="notes.md", heading="Review", text="The team lead reviews every summary.")
    sop = SOP(title="t", human_review=[Statement(text="The team lead reviews every summary.", citations=["c1"]),
                                       Statement(text="Legal approves it within 2 days.", citations=["c1"])],
              quality_checks=[Statement(text="Check the owner of each action.", citations=["c1"])])
    flags = [Flag(rule="unsupported-claim", severity="blocker", section="human_review", message="m",
                  evidence="Legal approves it within 2 days."),
             Flag(rule="unsupported-claim", severity="blocker", section="quality_checks", message="m",
                  evidence="Check the owner of each action.")]
    draft = Draft(draft_id="d1", task="task", sop=sop, evidence={"human_review": ["c1"], "quality_checks": ["c1"]},
                  chunks={"c1": chunk}, flags=flags, provider="fake", model="fake", duration_s=1.0)
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "d1.json").write_text(draft.model_dump_json())
    sample, key = tmp_path / "sample.jsonl", tmp_path / "key.json"
    sample_mod.export(drafts, sample, key)
    rows = [json.loads(line) for line in sample.read_text().splitlines()]
    assert len(rows) == 3 and all("flagged" not in r for r in rows)
    assert rows[0]["passages"][0]["text"] == chunk.text
    by_text = {r["statement"]: r["id"] for r in rows}
    labels = {"The team lead reviews every summary.": "supported", "Legal approves it within 2 days.": "unsupported",
              "Check the owner of each action.": "supported"}
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps({"id": by_text[t], "label": lab}) + "\n"
                                                   for t, lab in labels.items()))
    sample_mod.score(sample, tmp_path / "labels.jsonl", key)
    out = capsys.readouterr().out
    assert "precision of unsupported-claim 1/2 = 0.50" in out
    assert "recall in the sample 1/1 = 1.00" in out
    assert "estimated recall 1.00" in out


def test_reverify_scores_the_current_verifier_on_the_same_labels(tmp_path: Path, capsys) -> None:
    sample_mod = _module()
    chunk = ChunkRef(chunk_id="c1", source="notes.md", heading="Review", text="The team lead reviews every summary.")
    sop = SOP(title="t", human_review=[Statement(text="The team lead reviews every summary.", citations=["c1"]),
                                       Statement(text="Legal approves it within 2 days.", citations=["c1"])])
    # Saved with no flag at all: the verifier of that day missed the invented approval.
    draft = Draft(draft_id="d1", task="task", sop=sop, evidence={"human_review": ["c1"]}, chunks={"c1": chunk},
                  flags=[], provider="fake", model="fake", duration_s=1.0)
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "d1.json").write_text(draft.model_dump_json())
    sample, key = tmp_path / "sample.jsonl", tmp_path / "key.json"
    sample_mod.export(drafts, sample, key, reverify=True)
    keyed = json.loads(key.read_text())
    by_text = {json.loads(line)["statement"]: json.loads(line)["id"] for line in sample.read_text().splitlines()}
    invented = by_text["Legal approves it within 2 days."]
    assert keyed["flagged"][invented] is False and keyed["flagged_now"][invented] is True
    (tmp_path / "labels.jsonl").write_text(
        json.dumps({"id": invented, "label": "unsupported"}) + "\n"
        + json.dumps({"id": by_text["The team lead reviews every summary."], "label": "supported"}) + "\n")
    sample_mod.score(sample, tmp_path / "labels.jsonl", key, now=True)
    assert "precision of unsupported-claim 1/1 = 1.00" in capsys.readouterr().out
    sample_mod.score(sample, tmp_path / "labels.jsonl", key)
    assert "precision of unsupported-claim 0/0" in capsys.readouterr().out
