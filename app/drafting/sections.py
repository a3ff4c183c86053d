"""Section specifications (from ``prompts/sections.yaml``) and their JSON schemas.

Each section's schema restricts ``citations`` to the short ids of that section's own
evidence (an ``enum``), so constrained decoding cannot cite anything else.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from pydantic import BaseModel

from app.models import LIST_SECTIONS, SECTION_PARTS, Cited, Statement
from app.prompts import load_prompt_data

# Sections whose value is a list of one item type (references are derived, never drafted).
LIST_ITEMS: dict[str, type[Cited]] = {k: v for k, v in LIST_SECTIONS.items() if k != "references"}
# Sections made of several statement lists.
COMPOSITE_PARTS: dict[str, tuple[str, ...]] = {
    section: tuple(parts) for section, parts in SECTION_PARTS.items() if all(parts.values())
}


# Drafted sentences are kept short: a small model rambles when allowed to.
DRAFT_MAX_CHARS = 280


class SectionSpec(BaseModel):
    """How one section is retrieved and drafted."""

    key: str
    title: str
    query: str
    instruction: str
    max_items: int


class DraftPlan(BaseModel):
    """All section specs and the groups they are drafted in."""

    sections: dict[str, SectionSpec]
    groups: list[list[str]]

    def groups_for(self, wanted: list[str] | None) -> list[list[str]]:
        """The groups restricted to ``wanted`` sections (all when None), empty groups dropped."""
        keep = set(wanted) if wanted else set(self.sections)
        return [g for g in ([s for s in grp if s in keep] for grp in self.groups) if g]


@lru_cache(maxsize=1)
def load_plan() -> DraftPlan:
    """The drafting plan from ``prompts/sections.yaml``."""
    data = load_prompt_data("sections.yaml")
    specs = {key: SectionSpec(key=key, **spec) for key, spec in data["sections"].items()}
    plan = DraftPlan(sections=specs, groups=data["groups"])
    unknown = {s for g in plan.groups for s in g} - set(specs)
    if unknown:
        raise ValueError(f"sections.yaml groups name unknown sections: {sorted(unknown)}")
    return plan


def _citations_schema(ids: list[str], min_items: int) -> dict:
    return {"type": "array", "items": {"type": "string", "enum": ids}, "minItems": min_items, "maxItems": 3}


def _strip(schema: dict) -> dict:
    schema.pop("title", None)
    schema.pop("default", None)
    for prop in schema.get("properties", {}).values():
        _strip(prop)
    return schema


@lru_cache(maxsize=16)
def _item_base(cls: type[Cited]) -> dict:
    return _strip(cls.model_json_schema())


def item_schema(cls: type[Cited], ids: list[str]) -> dict:
    """JSON schema of one item of ``cls`` whose citations must be among ``ids``."""
    schema = copy.deepcopy(_item_base(cls))
    for prop in schema["properties"].values():
        if prop.get("type") == "string":
            prop["maxLength"] = min(prop.get("maxLength", DRAFT_MAX_CHARS), DRAFT_MAX_CHARS)
    schema["properties"]["citations"] = _citations_schema(ids, 1)
    # Citations last: the model writes the claim first, then points at its source.
    props = {k: v for k, v in schema["properties"].items() if k != "citations"}
    props["citations"] = schema["properties"]["citations"]
    schema["properties"] = props
    schema["required"] = list(props)
    schema["additionalProperties"] = False
    return schema


def _list_schema(cls: type[Cited], ids: list[str], max_items: int, description: str) -> dict:
    return {"type": "array", "description": description, "items": item_schema(cls, ids), "maxItems": max_items}


def section_schema(spec: SectionSpec, ids: list[str]) -> dict:
    """The JSON schema of one section's value."""
    if spec.key in LIST_ITEMS:
        return _list_schema(LIST_ITEMS[spec.key], ids, spec.max_items, spec.instruction)
    if spec.key in COMPOSITE_PARTS:
        parts = COMPOSITE_PARTS[spec.key]
        props = {p: _list_schema(Statement, ids, spec.max_items, p.replace("_", " ")) for p in parts}
        return {"type": "object", "properties": props, "required": list(parts), "additionalProperties": False}
    if spec.key == "maintenance":
        text = {"type": "string", "maxLength": 120}
        props = {
            "review_cadence": {**text, "description": "How often the SOP is reviewed; empty if not stated."},
            "feedback_route": {**text, "description": "Where feedback goes; empty if not stated."},
            "citations": _citations_schema(ids, 0),
            "off_cycle_triggers": _list_schema(Statement, ids, spec.max_items, "events that force an early review"),
        }
        return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
    raise ValueError(f"no schema for section {spec.key!r}")


def group_schema(specs: list[SectionSpec], ids_by_section: dict[str, list[str]]) -> dict:
    """The JSON schema of one drafting call covering ``specs``."""
    props = {s.key: section_schema(s, ids_by_section[s.key]) for s in specs}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}
