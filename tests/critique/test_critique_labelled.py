"""The labelled set: precision and recall of the critique on realistic SOPs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.critique import load_catalogue
from app.critique.evaluate import format_table, load_cases, run, score

LABELLED = Path(__file__).parent / "labelled"
TODAY = date(2026, 11, 27)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    catalogue = load_catalogue(None)
    cases = load_cases(LABELLED, tmp_path_factory.mktemp("docx"))
    return cases, score(run(cases, catalogue, TODAY), catalogue)


def test_set_is_large_and_varied(report):
    cases, _ = report
    assert len(cases) >= 30
    suffixes = {c.path.suffix for c in cases}
    assert {".md", ".docx"} <= suffixes
    assert sum(c.complete for c in cases) >= 5
    assert sum(not c.complete for c in cases) >= 15


def test_precision_and_recall(report):
    _, rep = report
    table = format_table(rep)
    assert rep.overall.precision >= 0.9, table + "\n" + "\n".join(rep.mistakes)
    assert rep.overall.recall >= 0.85, table + "\n" + "\n".join(rep.mistakes)


def test_no_complete_sop_is_blocked(report):
    _, rep = report
    assert rep.blocked_complete == []


def test_every_control_rule_is_exercised(report):
    _, rep = report
    controls = [r for r in rep.per_rule if r.startswith("missing-")]
    for rule in controls + ["vague-language", "step-without-actor", "automation-bias", "sensitive-data-exposure"]:
        assert rep.per_rule[rule].tp >= 1, f"{rule} never fires correctly in the labelled set"


def test_must_not_rules_stay_silent(report):
    _, rep = report
    assert not [m for m in rep.mistakes if "must not fire" in m]
