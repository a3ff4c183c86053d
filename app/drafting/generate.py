"""One drafting call: a group of sections, each with its own evidence and citation ids."""

from __future__ import annotations

from collections import Counter
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import ValidationError

from app.drafting.evidence import Evidence
from app.drafting.passages import shown_text
from app.drafting.sections import COMPOSITE_PARTS, LIST_ITEMS, SectionSpec, group_schema
from app.injection import fence
from app.llm import LLMClient
from app.models import DataRules, Flag, Maintenance, Redaction, Scope, Statement
from app.prompts import render_prompt


def short_ids(specs: list[SectionSpec], evidence: Evidence) -> dict[str, str]:
    """Short id (S1, S2, …) -> chunk id for every chunk the group's sections use.

    Chunks shared by many sections come first, so successive calls start with the same
    sources and the local server reuses its cached prompt prefix.
    """
    use = Counter(cid for ids in evidence.by_section.values() for cid in ids)
    first = [cid for spec in specs for cid in evidence.by_section.get(spec.key, [])]
    ordered = sorted(dict.fromkeys(first), key=lambda cid: (-use[cid], first.index(cid)))
    return {f"S{i}": cid for i, cid in enumerate(ordered, start=1)}


def _source_label(evidence: Evidence, cid: str) -> str:
    ref = evidence.chunks[cid]
    where = ref.source + (f", page {ref.page}" if ref.page else "")
    return f"{where}; {ref.heading}" if ref.heading else where


def build_messages(task: str, specs: list[SectionSpec], evidence: Evidence, masked: dict[str, str],
                   ids: dict[str, str]) -> list:
    """System prompt (shared prefix, cached by the local server) + fenced sources + section asks."""
    keys = [s.key for s in specs]
    sources = [
        {"fenced": fence(f"({_source_label(evidence, cid)})\n{shown_text(masked[cid], evidence.scores_for(keys, cid))}", short)}
        for short, cid in ids.items()
    ]
    reverse = {cid: short for short, cid in ids.items()}
    sections = [
        {"key": s.key, "title": s.title, "instruction": s.instruction,
         "ids": [reverse[c] for c in evidence.by_section.get(s.key, [])]}
        for s in specs
    ]
    user = render_prompt("draft.md", task=masked["task"], sources=sources) + "\n" + render_prompt(
        "section.md", sections=sections
    )
    return [SystemMessage(render_prompt("system.md")), HumanMessage(user)]


# Generating a token costs about as much as evaluating eight prompt tokens on 2 cores
# (~10-16 tok/s against ~80 tok/s), and an item of a list section is ~40 tokens of JSON.
GENERATED_TOKEN_COST = 8
ITEM_TOKENS = 40


def estimated_cost(task: str, specs: list[SectionSpec], evidence: Evidence, masked: dict[str, str]) -> int:
    """Rough cost of drafting ``specs`` in one call, in prompt-token equivalents (chars / 4 in, items out)."""
    messages = build_messages(task, specs, evidence, masked, short_ids(specs, evidence))
    prompt_tokens = sum(len(str(m.content)) for m in messages) // 4
    items = sum(spec.max_items * (len(COMPOSITE_PARTS.get(spec.key, ())) or 1) for spec in specs)
    return prompt_tokens + GENERATED_TOKEN_COST * ITEM_TOKENS * items


def _map_citations(raw: Any, ids: dict[str, str], allowed: set[str]) -> Any:
    """Replace short ids with chunk ids, dropping any id not allowed for the section."""
    if isinstance(raw, dict):
        out = {k: _map_citations(v, ids, allowed) for k, v in raw.items() if k != "citations"}
        if "citations" in raw:
            cites = raw["citations"] if isinstance(raw["citations"], list) else []
            out["citations"] = [ids[c] for c in cites if c in ids and ids[c] in allowed]
        return out
    if isinstance(raw, list):
        return [_map_citations(v, ids, allowed) for v in raw]
    return raw


def _nonempty(items: list) -> list:
    return [i for i in items if i.as_text().strip(" :.")]


def _items(cls: type, raw: Any, partial: bool) -> list:
    """Validate a list of items; in a cut-off reply an incomplete item is dropped, not fatal."""
    out = []
    for item in raw or []:
        try:
            out.append(cls.model_validate(item))
        except ValidationError:
            if not partial:
                raise
    return _nonempty(out)


def to_section_value(spec: SectionSpec, raw: Any, partial: bool = False) -> Any:
    """Validate one section's JSON (already mapped to chunk ids) into template objects.

    ``partial`` marks a reply that was cut off: items it left incomplete are dropped.
    """
    if spec.key in LIST_ITEMS:
        return _items(LIST_ITEMS[spec.key], raw, partial)[: spec.max_items]
    if spec.key in COMPOSITE_PARTS:
        parts = {p: _items(Statement, (raw or {}).get(p, []), partial) for p in COMPOSITE_PARTS[spec.key]}
        return Scope(**parts) if spec.key == "scope" else DataRules(**parts)
    if spec.key == "maintenance":
        raw = raw or {}
        triggers = _items(Statement, raw.get("off_cycle_triggers", []), partial)
        cadence, route = str(raw.get("review_cadence", "")).strip(), str(raw.get("feedback_route", "")).strip()
        cites = raw.get("citations", []) if (cadence or route) else []
        return Maintenance(review_cadence=cadence, feedback_route=route, citations=cites, off_cycle_triggers=triggers)
    raise ValueError(f"unknown section {spec.key!r}")


def _cut_off_flags(specs: list[SectionSpec], parsed: dict, stopped: str) -> list[Flag]:
    """Warnings for the sections a cut-off reply left empty, or (the last one begun) incomplete."""
    why = "ran into a long run of blank space" if stopped == "whitespace" else "ran out of its token budget"
    begun = [s for s in specs if s.key in parsed]
    flags = []
    for spec in specs:
        if spec.key not in parsed:
            what = f"was cut off before {spec.title} (it {why}); the section is left empty"
        elif spec is begun[-1]:
            what = f"was cut off during {spec.title} (it {why}); the section may be incomplete"
        else:
            continue
        flags.append(Flag(rule="drafting-error", severity="warning", section=spec.key,
                          message=f"The model's answer {what}.", evidence="",
                          suggestion="Regenerate the section or write it by hand."))
    return flags


def draft_group(llm: LLMClient, task: str, specs: list[SectionSpec], evidence: Evidence,
                masked: dict[str, str], redactions: list[Redaction]) -> tuple[dict[str, Any], list[Flag]]:
    """Draft ``specs`` in one constrained call; returns section values and drafting flags."""
    ids = short_ids(specs, evidence)
    reverse = {cid: short for short, cid in ids.items()}
    ids_by_section = {s.key: [reverse[c] for c in evidence.by_section.get(s.key, [])] for s in specs}
    messages = build_messages(task, specs, evidence, masked, ids)
    reply = llm.structured_reply(
        messages,
        group_schema(specs, ids_by_section),
        name="sop_sections",
        purpose="draft:" + ",".join(s.key for s in specs),
        chunk_ids=list(ids.values()),
        redactions=[r for r in redactions if r.chunk_id in ids.values() or r.chunk_id == "task"],
    )
    parsed, partial = reply.data, bool(reply.stopped)
    values: dict[str, Any] = {}
    flags: list[Flag] = _cut_off_flags(specs, parsed, reply.stopped) if partial else []
    for spec in specs:
        allowed = set(evidence.by_section.get(spec.key, []))
        try:
            values[spec.key] = to_section_value(spec, _map_citations(parsed.get(spec.key), ids, allowed), partial)
        except (ValidationError, TypeError, AttributeError) as exc:
            flags.append(Flag(rule="drafting-error", severity="warning", section=spec.key,
                              message=f"The model's answer for {spec.title} did not fit the template; the section is left empty.",
                              evidence=str(exc)[:300], suggestion="Regenerate the section or write it by hand."))
    return values, flags
