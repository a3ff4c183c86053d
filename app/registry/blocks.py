"""The SOP template as a sequence of sections and blocks (sub-heading, bullets, table).

One layout shared by the Markdown template and the DOCX writer, following
``docs/sop-markdown.md``: every section in ``SECTION_TITLES`` order, citations kept per
item, empty sections marked as not stated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from app.models import SECTION_TITLES, SOP, Cited

NOT_STATED = "_Not stated in the sources._"

# Composite sections: (attribute, sub-heading) pairs, in template order.
SUBSECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "scope": (("covered", "Covered"), ("applies_when", "Applies when"), ("out_of_scope", "Out of scope"),
              ("excluded_from_ai", "Excluded from AI support")),
    "data_rules": (("permitted", "Permitted"), ("prohibited", "Prohibited")),
}
OFF_CYCLE_HEADING = "Off-cycle review triggers"

# Table sections: (column header, attribute); "#" numbers the rows. A Sources column follows
# unless the section's items carry no citations (history).
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "roles": (("Role", "role"), ("Responsibility", "responsibility")),
    "approved_tools": (("Tool", "name"), ("Use", "use")),
    "steps": (("#", "#"), ("Actor", "actor"), ("Action", "action"), ("Output", "output"), ("Check", "check")),
    "escalation": (("Trigger", "trigger"), ("Route", "route"), ("Timing", "timing")),
    "records": (("What", "what"), ("Where", "where"), ("Retention", "retention")),
    "history": (("Version", "version"), ("Date", "date"), ("Author", "author"), ("Change", "change")),
}


@dataclass
class Item:
    """One bullet: its text and the chunk ids it cites."""

    text: str
    citations: list[str] = field(default_factory=list)


@dataclass
class Block:
    """A sub-heading, a bullet list, a table, or the not-stated marker."""

    kind: Literal["heading", "bullets", "table", "not_stated"]
    text: str = ""
    items: list[Item] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Section:
    """One level-2 section of the SOP."""

    name: str
    title: str
    blocks: list[Block]


def _bullets(items: list[Cited]) -> Block:
    if not items:
        return Block("not_stated")
    return Block("bullets", items=[Item(i.as_text(), list(i.citations)) for i in items])


def _table(name: str, items: list[BaseModel]) -> Block:
    if not items:
        return Block("not_stated")
    columns = TABLES[name]
    cited = name != "history"
    headers = [h for h, _ in columns] + (["Sources"] if cited else [])
    rows = []
    for number, item in enumerate(items, start=1):
        row = [str(number) if attr == "#" else str(getattr(item, attr)) for _, attr in columns]
        rows.append(row + ([", ".join(item.citations)] if cited else []))
    return Block("table", headers=headers, rows=rows)


def _composite(sop: SOP, name: str) -> list[Block]:
    value = getattr(sop, name)
    parts = [(heading, getattr(value, attr)) for attr, heading in SUBSECTIONS[name]]
    if not any(items for _, items in parts):
        return [Block("not_stated")]
    return [b for heading, items in parts for b in (Block("heading", text=heading), _bullets(items))]


def _maintenance(sop: SOP) -> list[Block]:
    m = sop.maintenance
    lines = [Item(f"{label}: {value}") for label, value in
             (("Review cadence", m.review_cadence), ("Feedback route", m.feedback_route)) if value]
    if lines:  # the maintenance citations ride on the first line, where the parser reads them back
        lines[0] = Item(lines[0].text, list(m.citations))
    if not lines and not m.off_cycle_triggers:
        return [Block("not_stated")]
    head = [Block("bullets", items=lines)] if lines else []
    return head + [Block("heading", text=OFF_CYCLE_HEADING), _bullets(m.off_cycle_triggers)]


def sections(sop: SOP) -> list[Section]:
    """Every section of ``sop`` in template order, as blocks ready to render."""
    out = []
    for name, title in SECTION_TITLES.items():
        if name in SUBSECTIONS:
            blocks = _composite(sop, name)
        elif name == "maintenance":
            blocks = _maintenance(sop)
        elif name in TABLES:
            blocks = [_table(name, getattr(sop, name))]
        else:
            blocks = [_bullets(getattr(sop, name))]
        out.append(Section(name, title, blocks))
    return out
