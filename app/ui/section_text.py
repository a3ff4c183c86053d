"""One SOP section as editable plain text, and back.

Each item is one line; table-like items separate their fields with `` | `` (a literal pipe
is written ``\\|``) and end with their citations as ``[src: id1, id2]`` — the same
conventions as the exported Markdown (docs/sop-markdown.md). Composite sections (scope,
data rules, maintenance) use ``### Sub-heading`` lines. Parsing builds the pydantic models,
so every limit of the template (lengths, list sizes) is enforced with a clear message.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from app.models import LIST_SECTIONS, SECTION_PARTS, SOP, Cited, Statement, item_fields

# Sub-headings in the editor that are not just the part's name.
PART_LABELS = {"excluded_from_ai": "Excluded from AI support", "off_cycle_triggers": "Off-cycle review triggers"}


def _label(part: str) -> str:
    return PART_LABELS.get(part, part.replace("_", " ").capitalize())


# The lists of each composite section, with their sub-heading in the editor.
SUBLISTS: dict[str, tuple[tuple[str, str], ...]] = {
    section: tuple((part, _label(part)) for part, item in parts.items() if item is not None)
    for section, parts in SECTION_PARTS.items()
}
EDITABLE_SECTIONS = (*LIST_SECTIONS, *SUBLISTS)
# The plain text fields of the maintenance section, written as ``Label: value`` lines.
MAINTENANCE_FIELDS = tuple((part, _label(part)) for part, item in SECTION_PARTS["maintenance"].items() if item is None)

_CITES = re.compile(r"\s*\[src:\s*([^\]]*)\]\s*$")
_PIPE = re.compile(r"(?<!\\)\|")


class SectionTextError(ValueError):
    """The edited text of a section cannot be read; the message names the line and the reason."""


def field_help(section: str) -> str:
    """How to write the items of ``section``, for the editor's help text."""
    if section in LIST_SECTIONS:
        fields = " | ".join(item_fields(LIST_SECTIONS[section]))
    else:
        fields = "text"
    return f"One item per line: {fields} [src: chunk ids]. Write a literal pipe as \\|."


def _item_line(item: Cited) -> str:
    fields = item_fields(type(item))
    values = [str(getattr(item, name)).replace("|", "\\|") for name in fields]
    while len(values) > 1 and not values[-1]:
        values.pop()
    cites = f" [src: {', '.join(item.citations)}]" if item.citations else ""
    return " | ".join(values) + cites


def section_to_text(sop: SOP, section: str) -> str:
    """The editable text of ``section`` of ``sop``."""
    value = getattr(sop, section)
    if section in LIST_SECTIONS:
        return "\n".join(_item_line(i) for i in value)
    lines = [f"{label}: {getattr(value, name)}" for name, label in MAINTENANCE_FIELDS] if section == "maintenance" else []
    for attr, heading in SUBLISTS[section]:
        lines += [f"### {heading}", *(_item_line(i) for i in getattr(value, attr))]
    return "\n".join(lines)


def _parse_item(cls: type[Cited], line: str, lineno: int) -> dict[str, Any]:
    """The fields and citations of one item line (not yet validated)."""
    citations: list[str] = []
    match = _CITES.search(line)
    if match:
        citations = [c.strip() for c in match.group(1).split(",") if c.strip()]
        line = line[: match.start()]
    fields = item_fields(cls)
    parts = [p.strip().replace("\\|", "|") for p in _PIPE.split(line.strip().removeprefix("- "))]
    if len(parts) > len(fields):
        raise SectionTextError(f"line {lineno}: {len(parts)} fields, but an item has at most {len(fields)} "
                               f"({' | '.join(fields)}); write a literal pipe as \\|")
    return {**dict(zip(fields, parts)), "citations": citations}


def _items(cls: type[Cited], lines: list[tuple[int, str]]) -> list[Cited]:
    items = []
    for n, line in lines:
        try:
            items.append(cls.model_validate(_parse_item(cls, line, n)))
        except ValidationError as exc:
            raise SectionTextError(f"line {n}: {_describe(exc)}") from None
    return items


def _split_sublists(section: str, text: str) -> tuple[dict[str, list[tuple[int, str]]], dict[str, str]]:
    headings = {heading.lower(): attr for attr, heading in SUBLISTS[section]}
    labels = {label.lower(): name for name, label in MAINTENANCE_FIELDS} if section == "maintenance" else {}
    groups: dict[str, list[tuple[int, str]]] = {attr: [] for attr, _ in SUBLISTS[section]}
    scalars: dict[str, str] = {}
    current: str | None = None
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            current = headings.get(line.strip().lstrip("#").strip().lower())
            if current is None:
                raise SectionTextError(f"line {n}: unknown sub-heading {line.strip()!r}; use one of "
                                       + ", ".join(f"### {h}" for _, h in SUBLISTS[section]))
            continue
        label, _, rest = line.partition(":")
        if current is None and label.strip().lower() in labels:
            scalars[labels[label.strip().lower()]] = rest.strip()
            continue
        if current is None:
            raise SectionTextError(f"line {n}: put items under a sub-heading such as "
                                   f"'### {SUBLISTS[section][0][1]}'")
        groups[current].append((n, line))
    return groups, scalars


def text_to_section(section: str, text: str) -> Any:
    """Parse the edited text of ``section`` into its template value (a list or a sub-model)."""
    try:
        if section in LIST_SECTIONS:
            lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
            return _items(LIST_SECTIONS[section], lines)
        groups, scalars = _split_sublists(section, text)
        data = {attr: _items(Statement, lines) for attr, lines in groups.items()}
        return SOP.model_fields[section].annotation.model_validate({**data, **scalars})  # type: ignore[union-attr]
    except ValidationError as exc:
        raise SectionTextError(_describe(exc)) from None


def apply_section(sop: SOP, section: str, text: str) -> SOP:
    """A copy of ``sop`` with ``section`` replaced by the parsed ``text`` (validated as a whole)."""
    data = sop.model_dump()
    value = text_to_section(section, text)
    data[section] = [v.model_dump() for v in value] if isinstance(value, list) else value.model_dump()
    try:
        return SOP.model_validate(data)
    except ValidationError as exc:
        raise SectionTextError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        where = " → ".join(f"item {p + 1}" if isinstance(p, int) else str(p) for p in err["loc"])
        problems.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(problems)
