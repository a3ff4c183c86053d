"""Cut an SOP into the text units a rule's scope names.

A section token (``steps``) gives one unit per item with its fields joined; a field token
(``steps.action``) gives one unit per item holding that field only. ``*`` is every
section of the body (not metadata or history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from pydantic import BaseModel

from app.critique.catalogue import ITEM_FIELDS, SUBSECTIONS
from app.models import SECTION_TITLES, SOP

BODY_SCOPES: tuple[str, ...] = ("title", *(k for k in SECTION_TITLES if k != "history"))


@dataclass(frozen=True)
class Unit:
    """One piece of text a rule reads, and where it came from."""

    section: str
    path: str
    text: str
    item: BaseModel | None = None


def _item_text(item: BaseModel, fields: tuple[str, ...]) -> str:
    values = [v for v in (str(getattr(item, f, "") or "").strip() for f in fields) if v]
    if len(values) == 1:
        return values[0]
    return ". ".join(v.rstrip(".") for v in values)


def _list_units(section: str, path: str, items: list, fields: tuple[str, ...]) -> Iterator[Unit]:
    for item in items:
        text = _item_text(item, fields)
        if text:
            yield Unit(section, path, text, item)


def _metadata_units(sop: SOP, field: str) -> Iterator[Unit]:
    value = getattr(sop.metadata, field)
    if value in (None, ""):
        return
    text = f"every {value} months" if field == "review_cadence_months" else str(value)
    yield Unit("metadata", f"metadata.{field}", text, None)


def _sub_units(sop: SOP, section: str, sub: str) -> Iterator[Unit]:
    if section == "metadata":
        yield from _metadata_units(sop, sub)
        return
    value = getattr(getattr(sop, section), sub)
    path = f"{section}.{sub}"
    if isinstance(value, list):
        yield from _list_units(section, path, value, ("text",))
    elif value:
        yield Unit(section, path, str(value), getattr(sop, section))


def iter_units(sop: SOP, token: str) -> Iterator[Unit]:
    """The units of one scope token."""
    if token == "*":
        for t in BODY_SCOPES:
            yield from iter_units(sop, t)
        return
    if token == "title":
        yield Unit("title", "title", sop.title, None)
        return
    section, _, field = token.partition(".")
    if section in SUBSECTIONS:
        for sub in ((field,) if field else SUBSECTIONS[section]):
            yield from _sub_units(sop, section, sub)
        return
    items = getattr(sop, section)
    if section == "history":
        yield from _list_units(section, token, items, ("change",))
        return
    fields = (field,) if field else ITEM_FIELDS.get(section, ("text",))
    yield from _list_units(section, token, items, fields)


def units_for(sop: SOP, scope: list[str]) -> list[Unit]:
    """Every unit of a rule's scope, without repeats, in scope order."""
    seen: set[tuple[str, str, str]] = set()
    out: list[Unit] = []
    for token in scope or ["*"]:
        for unit in iter_units(sop, token):
            key = (unit.path, unit.text, str(id(unit.item)))
            if key not in seen:
                seen.add(key)
                out.append(unit)
    return out
