"""Score the critique against a labelled set of SOPs (precision and recall per rule).

A labelled set is a folder of SOP files (``.md``, ``.json``, or ``NAME.docx.yaml`` specs
that are built into ``.docx`` first), each with a sidecar ``NAME.expected.yaml``::

    complete: true            # every control present: no blocker may fire
    expect: [vague-language]  # every rule id that should fire; any other rule firing is a false positive
    must_not: [missing-owner] # optional: rules that must stay silent (also implied by `expect`)

A team can keep its own set next to its rules file to see what a rule change does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from app.critique.catalogue import Catalogue
from app.critique.engine import critique_document
from app.critique.parse import load_document
from app.models import Flag

SPEC_SUFFIX = ".docx.yaml"
EXPECTED_SUFFIX = ".expected.yaml"


@dataclass
class Case:
    """One labelled SOP."""

    name: str
    path: Path
    complete: bool
    expect: set[str]
    must_not: set[str] = field(default_factory=set)


@dataclass
class Score:
    """Counts of one rule (or all rules) over the set."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when the rule never fired."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when the rule was never expected."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Report:
    """Per-rule and overall scores, and what went wrong where."""

    per_rule: dict[str, Score]
    overall: Score
    mistakes: list[str]
    blocked_complete: list[str]


def build_docx(spec_path: Path, out_dir: Path) -> Path:
    """A .docx built from a YAML list of ``[kind, content]`` blocks (title, h1-h3, p, bullet, number, table)."""
    from docx import Document

    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    doc = Document()
    styles = {"p": None, "bullet": "List Bullet", "number": "List Number"}
    for kind, content in spec["blocks"]:
        if kind == "title":
            doc.add_heading(content, level=0)
        elif kind in ("h1", "h2", "h3"):
            doc.add_heading(content, level=int(kind[1]))
        elif kind == "table":
            table = doc.add_table(rows=len(content), cols=len(content[0]))
            for r, row in enumerate(content):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
        else:
            doc.add_paragraph(content, style=styles[kind])
    out = out_dir / (spec_path.name[: -len(SPEC_SUFFIX)] + ".docx")
    doc.save(str(out))
    return out


def load_cases(folder: Path, work_dir: Path) -> list[Case]:
    """The labelled cases in ``folder``; DOCX specs are built into ``work_dir``."""
    cases = []
    for expected in sorted(folder.glob(f"*{EXPECTED_SUFFIX}")):
        name = expected.name[: -len(EXPECTED_SUFFIX)]
        label = yaml.safe_load(expected.read_text(encoding="utf-8")) or {}
        spec = folder / f"{name}{SPEC_SUFFIX}"
        if spec.exists():
            path = build_docx(spec, work_dir)
        else:
            found = [p for p in folder.glob(f"{name}.*") if p != expected]
            if len(found) != 1:
                raise FileNotFoundError(f"{expected}: expected exactly one SOP file named {name}.*, found {found}")
            path = found[0]
        cases.append(Case(name, path, bool(label.get("complete")), set(label.get("expect") or []),
                          set(label.get("must_not") or [])))
    return cases


def score(results: dict[str, tuple[Case, list[Flag]]], catalogue: Catalogue,
          severities: tuple[str, ...] | None = None) -> Report:
    """Precision/recall per rule id over the cases (any unexpected rule firing is a false positive).

    ``severities`` (e.g. ``("blocker", "warning")``) scores only the catalogue rules of those
    levels: findings and expectations of other rules are left out of the counts.
    """
    kept = {r.id for r in catalogue.rules if severities is None or r.severity in severities}
    per_rule = {rule_id: Score() for rule_id in catalogue.rule_ids if rule_id in kept}
    mistakes: list[str] = []
    blocked: list[str] = []
    for name, (case, flags) in results.items():
        fired = {f.rule for f in flags}
        wanted = fired | case.expect
        for rule_id in sorted(wanted if severities is None else wanted & kept):
            s = per_rule.setdefault(rule_id, Score())
            if rule_id in fired and rule_id in case.expect:
                s.tp += 1
            elif rule_id in fired:
                s.fp += 1
                mistakes.append(f"{name}: unexpected {rule_id}")
            else:
                s.fn += 1
                mistakes.append(f"{name}: missed {rule_id}")
        mistakes.extend(f"{name}: {r} must not fire" for r in sorted(case.must_not & fired - case.expect))
        if case.complete and any(f.severity == "blocker" for f in flags):
            blocked.append(name)
    overall = Score(*(sum(getattr(s, k) for s in per_rule.values()) for k in ("tp", "fp", "fn")))
    return Report(per_rule, overall, mistakes, blocked)


def run(cases: list[Case], catalogue: Catalogue, today: date) -> dict[str, tuple[Case, list[Flag]]]:
    """Parse and critique every case."""
    out = {}
    for case in cases:
        out[case.name] = (case, critique_document(load_document(case.path), catalogue, today=today).flags)
    return out


def format_table(report: Report) -> str:
    """The per-rule table as fixed-width text."""
    lines = [f"{'rule':28} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}"]
    for rule_id, s in sorted(report.per_rule.items()):
        lines.append(f"{rule_id:28} {s.tp:4d} {s.fp:4d} {s.fn:4d} {s.precision:10.2f} {s.recall:8.2f}")
    o = report.overall
    lines.append(f"{'OVERALL':28} {o.tp:4d} {o.fp:4d} {o.fn:4d} {o.precision:10.2f} {o.recall:8.2f}")
    return "\n".join(lines)
