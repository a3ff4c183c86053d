"""Section-by-section comparison of two SOPs (difflib over one line per item)."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from pydantic import BaseModel

from app.models import SECTION_TITLES, SOP
from app.registry.blocks import NOT_STATED, Block, sections

if TYPE_CHECKING:
    from app.registry.store import Store


class SectionDiff(BaseModel):
    """How one section differs: a unified diff of its lines."""

    section: str
    title: str
    lines: list[str]

    def as_text(self) -> str:
        """The section heading followed by its diff lines."""
        return "\n".join([f"## {self.title}", *self.lines])


def _block_lines(block: Block) -> list[str]:
    if block.kind == "heading":
        return [f"### {block.text}"]
    if block.kind == "bullets":
        return [f"- {i.text}" + (f" [src: {', '.join(i.citations)}]" if i.citations else "") for i in block.items]
    if block.kind == "table":
        return [" | ".join(row) for row in block.rows]
    return [NOT_STATED]


def section_lines(sop: SOP) -> dict[str, list[str]]:
    """Every section of ``sop`` as plain lines (one per item), keyed by section name."""
    meta = sop.metadata
    out = {"metadata": [f"title: {sop.title}", f"sop_id: {meta.sop_id}", f"owner: {meta.owner_name}",
                        f"owner_role: {meta.owner_role}", f"review_cadence_months: {meta.review_cadence_months}"]}
    for section in sections(sop):
        out[section.name] = [line for block in section.blocks for line in _block_lines(block)]
    return out


def diff_sops(old: SOP, new: SOP, *, old_label: str = "old", new_label: str = "new") -> list[SectionDiff]:
    """The sections whose content differs between ``old`` and ``new``, in template order."""
    before, after = section_lines(old), section_lines(new)
    titles = {"metadata": "Identification", **SECTION_TITLES}
    diffs = []
    for name, title in titles.items():
        if before[name] == after[name]:
            continue
        lines = list(difflib.unified_diff(before[name], after[name], old_label, new_label, lineterm="", n=1))
        diffs.append(SectionDiff(section=name, title=title, lines=lines[2:]))  # drop the ---/+++ header
    return diffs


def format_diff(diffs: list[SectionDiff]) -> str:
    """All section diffs as text, or a line saying there is no difference."""
    return "\n\n".join(d.as_text() for d in diffs) if diffs else "(no differences)"


def diff_versions(store: "Store", draft_id: str, from_version: int, to_version: int) -> list[SectionDiff]:
    """Compare two stored versions of one draft."""
    old = store.get_draft(draft_id, from_version).draft.sop
    new = store.get_draft(draft_id, to_version).draft.sop
    return diff_sops(old, new, old_label=f"v{from_version}", new_label=f"v{to_version}")


def diff_against_approved(store: "Store", draft_id: str, version: int | None = None) -> list[SectionDiff] | None:
    """Compare a draft with the currently approved SOP of the same ``sop_id`` (None if there is none)."""
    record = store.get_draft(draft_id, version)
    current = store.current_approved(record.draft.sop.metadata.sop_id)
    if current is None:
        return None
    return diff_sops(current.draft.sop, record.draft.sop,
                     old_label=f"approved {current.draft_id} v{current.version}",
                     new_label=f"{record.draft_id} v{record.version}")
