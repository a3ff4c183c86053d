"""The rule catalogue: validation, team overrides, clear errors, README coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.critique import CatalogueError, critique, load_catalogue
from app.models import SOP, Statement, Step

README = Path(__file__).resolve().parents[2] / "README.md"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "team-rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_core_catalogue_has_the_documented_rules():
    ids = set(load_catalogue(None).rule_ids)
    assert {"missing-scope", "missing-trigger", "missing-approved-tool", "missing-data-rules", "missing-human-review",
            "missing-quality-criteria", "missing-escalation", "missing-record", "missing-owner",
            "missing-review-cadence", "vague-language", "step-without-actor", "automation-bias",
            "sensitive-data-exposure", "too-long", "long-sentence", "review-overdue", "unsupported-claim"} <= ids


def test_every_rule_is_documented_in_readme():
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- section:critique -->(.*?)<!-- /section:critique -->", text, re.DOTALL)
    assert match, "README has no critique section"
    missing = [r for r in load_catalogue(None).rule_ids if f"`{r}`" not in match.group(1)]
    assert missing == []


def test_team_file_adds_disables_relevels_and_extends(tmp_path):
    team = write(tmp_path, """
rules:
  - id: no-internal-codenames
    kind: existence
    severity: warning
    scope: [steps.action, purpose]
    patterns: [Project Falcon]
    message: "Internal codename {match} in a procedure."
    suggestion: Use the product name.
disable: [long-sentence]
severity: {vague-language: info}
extend:
  vague-language: {patterns: [shortly]}
""")
    catalogue = load_catalogue(team)
    assert "long-sentence" not in catalogue.rule_ids
    sop = SOP(title="t", purpose=[Statement(text="Ship Project Falcon shortly.")],
              steps=[Step(actor="Team Lead", action="Deploy " + "word " * 50)])
    flags = critique(sop, catalogue)
    codename = [f for f in flags if f.rule == "no-internal-codenames"]
    assert codename and codename[0].section == "purpose" and '"Project Falcon"' in codename[0].message
    vague = [f for f in flags if f.rule == "vague-language"]
    assert vague and all(f.severity == "info" for f in vague) and "shortly" in vague[0].evidence
    assert not [f for f in flags if f.rule == "long-sentence"]


@pytest.mark.parametrize("text, needle", [
    ("rules:\n  - id: x-rule\n    kind: existence\n    severity: blocker\n    message: m\n    suggestion: s\n",
     "rule 'x-rule'"),
    ("rules:\n  - id: y-rule\n    kind: existence\n    severity: fatal\n    patterns: [a]\n    message: m\n"
     "    suggestion: s\n", "rule 'y-rule' field 'severity'"),
    ("rules:\n  - id: z-rule\n    kind: existence\n    severity: info\n    scope: [nowhere]\n    patterns: [a]\n"
     "    message: m\n    suggestion: s\n", "unknown scope"),
    ("rules:\n  - id: r-rule\n    kind: existence\n    severity: info\n    patterns: ['re:(']\n    message: m\n"
     "    suggestion: s\n", "bad pattern"),
    ("disable: [no-such-rule]\n", "no rule 'no-such-rule'"),
    ("rules:\n  - id: vague-language\n    kind: existence\n    severity: info\n    patterns: [a]\n    message: m\n"
     "    suggestion: s\n", "already exists"),
    ("rules: [\n", "not valid YAML"),
    ("vocab:\n  role_nouns: ['re:[']\n", "vocab 'role_nouns': bad pattern"),
    ("- just a list\n", "expected a mapping"),
])
def test_bad_team_file_names_file_and_rule(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(CatalogueError) as err:
        load_catalogue(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def test_missing_team_file(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "absent.yaml")


def test_team_required_rule_with_applies_if(tmp_path):
    team = write(tmp_path, """
rules:
  - id: missing-dpia-reference
    kind: required
    severity: warning
    section: references
    scope: [references]
    requires_all: [number_or_date]
    applies_if: [health, patient]
    absent: No DPIA is referenced.
    message: Health data is processed but no DPIA is referenced.
    suggestion: Reference the DPIA by number.
""")
    catalogue = load_catalogue(team)
    health = SOP(title="t", purpose=[Statement(text="Summarise patient letters.")])
    assert "missing-dpia-reference" in {f.rule for f in critique(health, catalogue)}
    cited = health.model_copy(update={"references": [Statement(text="DPIA 2026-04")]})
    assert "missing-dpia-reference" not in {f.rule for f in critique(cited, catalogue)}
    other = SOP(title="t", purpose=[Statement(text="Summarise meetings.")])
    assert "missing-dpia-reference" not in {f.rule for f in critique(other, catalogue)}
