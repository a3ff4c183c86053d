"""Concreteness tests: does a unit name a role, a tool, a number or date, a real check...

A control counts as present only when its text passes the tests its `required` rule
asks for. The phrase lists behind each test are the catalogue's ``vocab`` (data, so a
team can extend them); the role and tool names the SOP itself declares count too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Callable

from app.critique.applicability import Applicability
from app.critique.catalogue import Catalogue
from app.critique.units import Unit
from app.models import SOP, ChunkRef, Record, Tool

if TYPE_CHECKING:
    from app.critique.document import Document
    from app.critique.meaning import Meaning

ARTICLE = re.compile(r"^(?:the|a|an|any|our|your)\s+")
PROPER_WORD = re.compile(r"\b[A-Z0-9][\w.+-]*")
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
    doc: "Document | None" = None
    model: "Meaning | None" = None
    ai: Applicability = field(default_factory=lambda: Applicability(True))

    @classmethod
    def build(cls, sop: SOP, catalogue: Catalogue, today: date, chunks: dict[str, ChunkRef] | None, *,
              doc: "Document | None" = None, model: "Meaning | None" = None,
              ai: Applicability | None = None) -> "Context":
        """A context with the SOP's own non-generic role and tool names collected."""
        ctx = cls(sop=sop, catalogue=catalogue, today=today, chunks=chunks, doc=doc, model=model,
                  ai=ai or Applicability(True))
        ctx.named_roles = [r.role.strip() for r in sop.roles if r.role.strip() and not ctx.is_generic_role(r.role)]
        ctx.named_tools = [t.name.strip() for t in sop.approved_tools if is_named_tool(t.name, ctx)]
        return ctx

    def is_generic_role(self, text: str) -> bool:
        """True when the whole of ``text`` is a generic role ('someone', 'the relevant team')."""
        pattern = self.catalogue.vocab_pattern("generic_roles")
        plain = ARTICLE.sub("", text.strip(" .*_").lower())
        return bool(pattern and pattern.fullmatch(plain))

    def has(self, vocab: str, text: str) -> bool:
        """True when ``text`` contains a phrase of the vocabulary list ``vocab``."""
        pattern = self.catalogue.vocab_pattern(vocab)
        return bool(pattern and pattern.search(text))


def _mentions(names: list[str], text: str) -> bool:
    lowered = text.lower()
    return any(n and n.lower() in lowered for n in names)


def is_named_role_text(text: str, ctx: Context) -> bool:
    """A job title, a named team, or one of the SOP's own roles; not 'someone' or 'the team'."""
    return (_mentions(ctx.named_roles, text) or ctx.has("role_nouns", text) or ctx.has("named_team", text)
            or ctx.has("named_route", text))


def is_named_tool(name: str, ctx: Context) -> bool:
    """A product or system name, not 'any AI assistant you prefer' or 'an AI tool'."""
    if not name.strip() or ctx.has("generic_tools", name):
        return False
    generic_words = ctx.catalogue.vocab_pattern("generic_tool_words")
    names = PROPER_WORD.findall(name)
    return any(not (generic_words and generic_words.fullmatch(w)) for w in names)


def _data_rule(unit: Unit, ctx: Context) -> bool:
    # Inside Data rules (or the AI exclusions) any statement is a rule; elsewhere only a
    # sentence that permits or forbids some data is.
    if unit.path.startswith("data_rules") or unit.path == "scope.excluded_from_ai":
        return word_count(unit.text) >= 3
    return ctx.has("data_nouns", unit.text) and (ctx.has("prohibition", unit.text) or ctx.has("permission", unit.text))


def names_product(text: str, ctx: Context) -> bool:
    """A sentence that names an AI product ("Harvey, the generative AI platform"; "Zendesk AI")."""
    from app.critique.applicability import AI_TERMS
    from app.critique.layout import strip_emphasis

    text = strip_emphasis(text)
    if ctx.has("generic_tools", text) or not AI_TERMS.search(text) and not ctx.has("tool_words", text):
        return False
    generic = ctx.catalogue.vocab_pattern("generic_tool_words")
    common = ctx.catalogue.vocab_pattern("common_capitals")
    words = INNER_CAPITAL.findall(text)
    label = re.match(r"^([A-Z][\w.+-]*(?:\s+[A-Z0-9][\w.+-]*){0,2})\s*[:,(—–-]", text)  # "Harvey: the AI platform ..."
    if label:
        words.append(label.group(1))
    return any(not (generic and generic.fullmatch(w)) and not (common and common.fullmatch(w))
               and not ctx.has("role_nouns", w) for w in words)


def _tool(unit: Unit, ctx: Context) -> bool:
    if isinstance(unit.item, Tool):
        # "ChatGPT — whichever account you have" names no approved instance.
        return is_named_tool(unit.item.name, ctx) and not ctx.has("generic_tools", unit.item.use)
    if unit.item is None or unit.section == "approved_tools":
        return _mentions(ctx.named_tools, unit.text) or names_product(unit.text, ctx)
    return _mentions(ctx.named_tools, unit.text)


def _system(unit: Unit, ctx: Context) -> bool:
    if ctx.has("personal_places", unit.text):
        return False
    # A table cell "SharePoint Meetings library" starts with the name; a sentence starts with any word.
    where = unit.item.where if isinstance(unit.item, Record) and unit.item.what else ""
    return (ctx.has("system_nouns", unit.text) or bool(INNER_CAPITAL.search(unit.text))
            or bool(INNER_CAPITAL.search(" " + where)))


OWNER_LABEL = re.compile(r"^\W*(?:(?:(?:document|sop|process|procedure|policy)\s+)?own(?:er|ed by|ership)|verantwortlich)"
                         r"\W*[:\-–—]\s*(?P<value>.+)$",
                         re.I)


def _owner(unit: Unit, ctx: Context) -> bool:
    if unit.path == "metadata.owner_name":
        return not ctx.has("placeholder_names", unit.text) and word_count(unit.text) >= 1
    label = OWNER_LABEL.match(unit.text)
    if label and not ctx.has("placeholder_names", label.group("value").strip(" .*_")):
        return True
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
    "data_rule": _data_rule,
    "review": lambda u, c: c.has("review_verbs", u.text),
    "reviewed_output": lambda u, c: c.has("review_objects", u.text),
    "criterion": lambda u, c: bool(DIGIT.search(u.text)) or c.has("criterion_anchors", u.text),
    "owner": _owner,
}


def passes(unit: Unit, ctx: Context, requires_all: list[str], requires_any: list[str]) -> bool:
    """True when the unit passes every test of ``requires_all`` and one of ``requires_any``."""
    if not all(TESTS[t](unit, ctx) for t in requires_all):
        return False
    return not requires_any or any(TESTS[t](unit, ctx) for t in requires_any)
