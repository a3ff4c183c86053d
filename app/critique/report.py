"""Registry lint: critique a folder of SOPs and summarise it (per file, per rule), as JSON or HTML.

``lint_folder`` reads every SOP file (Markdown, DOCX, JSON exports) below a folder; a file
that cannot be parsed is listed as an error, not a crash. ``summary`` counts findings per
severity and per rule; ``html_report`` renders the whole result as one self-contained page.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app.critique.catalogue import Catalogue
from app.critique.engine import CritiqueResult, critique_document
from app.critique.parse import SUFFIXES, SOPParseError, load_document
from app.models import Flag

FLAG_KEYS = ("rule", "severity", "section", "message", "evidence", "suggestion")
SKIPPED_NAMES = ("index.json", "INDEX.md", "README.md")
SEVERITIES = ("blocker", "warning", "info")


def flag_json(flag: Flag) -> dict[str, str]:
    """The public JSON shape of one finding."""
    return {k: getattr(flag, k) for k in FLAG_KEYS}


def result_json(result: CritiqueResult) -> dict[str, Any]:
    """One SOP's findings, whether the AI rules applied and why, and how its headings were read."""
    return {
        "flags": [flag_json(f) for f in result.flags],
        "applies_to_ai": result.applies_to_ai,
        "ai_evidence": result.applicability.evidence,
        "ai_decided_by": result.applicability.decided_by,
        "headings": [{"heading": h.heading, "section": h.section, "how": h.how} for h in result.headings],
    }


def sop_files(folder: Path) -> list[Path]:
    """SOP files in ``folder`` and below (hidden folders, index files and labelled-set sidecars skipped)."""
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.name not in SKIPPED_NAMES
    )


@dataclass
class FolderLint:
    """The critique of every readable SOP in a folder, and the files that could not be read."""

    files: list[tuple[Path, CritiqueResult]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts per severity and per rule, files blocked, files where AI rules applied, errors."""
        flags = [f for _, r in self.files for f in r.flags]
        per_rule = Counter(f.rule for f in flags)
        files_per_rule = Counter(rule for _, r in self.files for rule in {f.rule for f in r.flags})
        return {
            "files": len(self.files),
            **{s: sum(f.severity == s for f in flags) for s in SEVERITIES},
            "files_with_blockers": sum(any(f.severity == "blocker" for f in r.flags) for _, r in self.files),
            "files_applying_ai_rules": sum(r.applies_to_ai for _, r in self.files),
            "per_rule": {rule: {"findings": n, "files": files_per_rule[rule]} for rule, n in per_rule.most_common()},
            "errors": self.errors,
        }

    def as_json(self) -> dict[str, Any]:
        """Every file's result and the summary."""
        return {"files": [{"path": str(p), **result_json(r)} for p, r in self.files], "summary": self.summary()}


def lint_folder(folder: Path, catalogue: Catalogue, *, today: date | None = None, ai: bool | None = None) -> FolderLint:
    """Critique every SOP file below ``folder``."""
    lint = FolderLint()
    for path in sop_files(folder):
        try:
            doc = load_document(path)
        except SOPParseError as exc:
            lint.errors.append(str(exc))
            continue
        lint.files.append((path, critique_document(doc, catalogue, today=today, ai=ai)))
    return lint


def html_report(lint: FolderLint, title: str = "SOP critique report") -> str:
    """The lint as one HTML page: summary, per-rule counts, one row per file, findings in detail."""
    esc = html.escape
    summary = lint.summary()
    rows = []
    for path, result in lint.files:
        counts = Counter(f.severity for f in result.flags)
        rules = ", ".join(sorted({f.rule for f in result.flags if f.severity != "info"})) or "—"
        rows.append(f"<tr><td>{esc(str(path))}</td><td>{counts['blocker']}</td><td>{counts['warning']}</td>"
                    f"<td>{'yes' if result.applies_to_ai else 'no'}</td><td>{esc(rules)}</td></tr>")
    rule_rows = [f"<tr><td>{esc(rule)}</td><td>{c['findings']}</td><td>{c['files']}</td></tr>"
                 for rule, c in summary["per_rule"].items()]
    details = []
    for path, result in lint.files:
        items = "".join(f"<li><b>{esc(f.severity)}</b> {esc(f.rule)} [{esc(f.section)}]: {esc(f.message)}"
                        f"<br><small>{esc(f.evidence)}</small></li>" for f in result.flags)
        evidence = "; ".join(result.applicability.evidence) or "no AI terms found"
        details.append(f"<h3>{esc(str(path))}</h3><p>applies_to_ai: {str(result.applies_to_ai).lower()} "
                       f"({esc(evidence)})</p><ul>{items}</ul>")
    errors = "".join(f"<li>{esc(e)}</li>" for e in summary["errors"])
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}</style>
</head><body><h1>{esc(title)}</h1>
<p>{summary['files']} files: {summary['blocker']} blockers, {summary['warning']} warnings, {summary['info']} info;
{summary['files_with_blockers']} files blocked; AI rules applied to {summary['files_applying_ai_rules']} files.</p>
<h2>Per rule</h2><table><tr><th>rule</th><th>findings</th><th>files</th></tr>{''.join(rule_rows)}</table>
<h2>Files</h2><table><tr><th>file</th><th>blockers</th><th>warnings</th><th>AI</th><th>rules</th></tr>{''.join(rows)}</table>
{'<h2>Unreadable</h2><ul>' + errors + '</ul>' if errors else ''}
<h2>Findings</h2>{''.join(details)}</body></html>
"""


def write_report(lint: FolderLint, path: Path) -> None:
    """Write the lint to ``path``: HTML for .html/.htm, JSON otherwise."""
    import json

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".html", ".htm"):
        path.write_text(html_report(lint), encoding="utf-8")
    else:
        path.write_text(json.dumps(lint.as_json(), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
