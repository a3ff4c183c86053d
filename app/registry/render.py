"""Canonical Markdown (``docs/sop-markdown.md``) and the registry index, from Jinja2 templates.

Templates live in the top-level ``templates/``; a team folder given as ``templates_dir`` overrides files
by name. ``StrictUndefined`` makes a missing variable an error instead of an empty string.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from app.models import SECTION_TITLES, SOP, Draft
from app.registry.blocks import sections
from app.registry.errors import ExportError
from app.registry.records import Approval

SOP_TEMPLATE = "sop.md.j2"
INDEX_TEMPLATE = "INDEX.md.j2"


def default_templates_dir() -> Path:
    """The export templates shipped with sopdraft (the repository's ``templates/`` or its installed copy)."""
    from app.assets import data_dir

    return data_dir("templates", SOP_TEMPLATE)


def template_env(templates_dir: Path | None = None):
    """A strict Jinja2 environment: the team's folder first, then the shipped templates."""
    import jinja2

    if templates_dir is not None and not Path(templates_dir).is_dir():
        raise ExportError(f"templates folder {templates_dir} does not exist (registry.templates_dir)")
    search = [str(p) for p in (templates_dir, default_templates_dir()) if p is not None]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(search), undefined=jinja2.StrictUndefined,
                             autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(yaml=yaml_value, oneline=oneline, cell=cell, src=src_marker)
    return env


def oneline(text: object) -> str:
    """Collapse all whitespace (newlines included) to single spaces."""
    return " ".join(str(text).split())


def cell(text: object) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return oneline(text).replace("|", "\\|")


def src_marker(citations: list[str]) -> str:
    """The trailing `` [src: a, b]`` of a cited bullet (empty when nothing is cited)."""
    return f" [src: {', '.join(citations)}]" if citations else ""


def yaml_value(value: Any) -> str:
    """One YAML flow value: plain when YAML reads it back as the same string, else double-quoted."""
    import yaml

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(yaml_value(v) for v in value) + "]"
    text = oneline(value)
    try:
        plain = yaml.safe_load(f"k: [{text}]") == {"k": [text]} and yaml.safe_load(f"k: {text}") == {"k": text}
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)  # JSON strings are YAML strings


def cited_sources(draft: Draft) -> list[str]:
    """The sources (file paths) that the SOP's citations point into, sorted."""
    return sorted({draft.chunks[c].source for c in draft.sop.all_citations() if c in draft.chunks})


def front_matter(draft: Draft, approval: Approval | None = None) -> dict[str, Any]:
    """The front matter of ``docs/sop-markdown.md``, in its order (approval fields null if unapproved)."""
    meta = draft.sop.metadata
    return {
        "sop_id": meta.sop_id,
        "title": draft.sop.title,
        "version": meta.version,
        "status": meta.status,
        "owner": meta.owner_name,
        "owner_role": meta.owner_role,
        "approver": meta.approver,
        "approved_at": approval.approved_at if approval else None,
        "content_hash": approval.content_hash if approval else draft.sop.content_hash(),
        "effective_date": meta.effective_date,
        "review_cadence_months": meta.review_cadence_months,
        "next_review_date": meta.next_review_date,
        "sources": sorted(approval.source_hashes) if approval else cited_sources(draft),
    }


def render_markdown(sop: SOP, front_matter: dict, *, templates_dir: Path | None = None) -> str:
    """The SOP in the canonical Markdown form (front matter first, then every section)."""
    return _render(templates_dir, SOP_TEMPLATE, sop=sop, front_matter=front_matter, sections=sections(sop),
                   titles=SECTION_TITLES)


def render_index(entries: list[dict[str, Any]], *, templates_dir: Path | None = None) -> str:
    """The human-readable registry index (``INDEX.md``)."""
    return _render(templates_dir, INDEX_TEMPLATE, entries=entries)


def _render(templates_dir: Path | None, name: str, **variables: Any) -> str:
    import jinja2

    env = template_env(templates_dir)
    try:
        template = env.get_template(name)
    except jinja2.TemplateSyntaxError as exc:
        raise ExportError(f"export template {exc.filename}, line {exc.lineno}: {exc.message}") from exc
    except jinja2.TemplateNotFound as exc:
        raise ExportError(f"export template {name} not found in {env.loader.searchpath}") from exc
    try:
        return template.render(**variables)
    except jinja2.TemplateError as exc:
        raise ExportError(f"export template {template.filename}: {exc}") from exc
