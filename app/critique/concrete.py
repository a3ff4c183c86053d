"""Concreteness tests: does a unit name a role, a tool, a number or date, a real check...

A control counts as present only when its text passes the tests its `required` rule
asks for. The phrase lists behind each test are the catalogue's ``vocab`` (data, so a
team can extend them); the role and tool names the SOP itself declares count too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from app.critique.catalogue import Catalogue
from app.critique.units import Unit
from app.models import SOP, ChunkRef, Tool

WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")
DIGIT = re.compile(r"\d")
# A capitalised word that is not the first word of the text (a proper name, roughly).
INNER_CAPITAL = re.compile(r"(?<=[\s(/\"'])(?:[A-Z][A-Za-z0-9]+|[A-Z]{2,})")


def word_count(text: str) -> int:
    """Number of words in ``text``."""
    return len(WORD.findall(text))


@dataclass
class Context:
    """What the tests know about the SOP being critiqued."""

    sop: SOP
    catalogue: Catalogue
    today: date
    chunks: dict[str, ChunkRef] | None = None
    named_roles: list[str] = field(default_factory=list)
    named_tools: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, sop: SOP, catalogue: Catalogue, today: date, chunks: dict[str, ChunkRef] | None) -> "Context":
        """A context with the SOP's own non-generic role and tool names collected."""
        ctx = cls(sop=sop, catalogue=catalogue, today=today, chunks=chunks)
        ctx.named_roles = [r.role.strip() for r in sop.roles if is_named_role_text(r.role, ctx, own_names=False)]
        ctx.named_tools = [t.name.strip() for t in sop.approved_tools if is_named_tool(t.name, ctx)]
        return ctx

    def has(self, vocab: str, text: str) -> bool:
        """True when ``text`` contains a phrase of the vocabulary list ``vocab``."""
        pattern = self.catalogue.vocab_pattern(vocab)
        return bool(pattern and pattern.search(text))


def _mentions(names: list[str], text: str) -> bool:
    lowered = text.lower()
    return any(n and n.lower() in lowered for n in names)


def is_named_role_text(text: str, ctx: Context, *, own_names: bool = True) -> bool:
    """A job title, a named team, or one of the SOP's own roles; not 'someone' or 'the team'."""
    if own_names and _mentions(ctx.named_roles, text):
        return True
    if ctx.has("role_nouns", text) or ctx.has("named_team", text):
        return True
    return False


def is_named_tool(name: str, ctx: Context) -> bool:
    """A product or system name, not 'any AI assistant you prefer'."""
    if not name.strip() or ctx.has("generic_tools", name):
        return False
    return bool(re.search(r"[A-Z0-9]", name))


def _tool(unit: Unit, ctx: Context) -> bool:
    if isinstance(unit.item, Tool):
        return is_named_tool(unit.item.name, ctx)
    return _mentions(ctx.named_tools, unit.text)


def _system(unit: Unit, ctx: Context) -> bool:
    if ctx.has("personal_places", unit.text):
        return False
    return ctx.has("system_nouns", unit.text) or bool(INNER_CAPITAL.search(" " + unit.text))


def _owner(unit: Unit, ctx: Context) -> bool:
    if unit.path == "metadata.owner_name":
        return not ctx.has("placeholder_names", unit.text) and word_count(unit.text) >= 1
    return ctx.has("owner_phrases", unit.text)


TESTS: dict[str, Callable[[Unit, Context], bool]] = {
    "statement": lambda u, c: word_count(u.text) >= 4,
    "event": lambda u, c: word_count(u.text) >= 3,
    "role": lambda u, c: is_named_role_text(u.text, c),
    "tool": _tool,
    "system": _system,
    "number_or_date": lambda u, c: bool(DIGIT.search(u.text)) or c.has("number_words", u.text)
    or c.has("intervals", u.text),
    "interval": lambda u, c: c.has("intervals", u.text) or bool(re.search(r"\d{4}-\d{2}-\d{2}", u.text)),
    "prohibition": lambda u, c: c.has("prohibition", u.text),
    "data": lambda u, c: c.has("data_nouns", u.text),
    "review": lambda u, c: c.has("review_verbs", u.text),
    "criterion": lambda u, c: bool(DIGIT.search(u.text)) or c.has("criterion_anchors", u.text),
    "owner": _owner,
}


def passes(unit: Unit, ctx: Context, requires_all: list[str], requires_any: list[str]) -> bool:
    """True when the unit passes every test of ``requires_all`` and one of ``requires_any``."""
    if not all(TESTS[t](unit, ctx) for t in requires_all):
        return False
    return not requires_any or any(TESTS[t](unit, ctx) for t in requires_any)
