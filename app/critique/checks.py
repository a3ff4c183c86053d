"""One checker per rule kind: each turns (rule, context) into findings."""

from __future__ import annotations

import re
from typing import Callable, Iterator

from app.critique.catalogue import Rule
from app.critique.concrete import Context, word_count
from app.critique.units import Unit, units_for
from app.models import Flag

SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
EVIDENCE_CHARS = 240


def quote(text: str, limit: int = EVIDENCE_CHARS) -> str:
    """``text`` in double quotes, shortened to ``limit`` characters."""
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[: limit - 1] + "…"}"'


def make_flag(rule: Rule, section: str, evidence: str, match: str = "") -> Flag:
    """A finding of ``rule``; ``{match}`` in its message/suggestion becomes the matched text."""
    return Flag(
        rule=rule.id,
        severity=rule.severity,
        section=section,
        message=rule.message.replace("{match}", match),
        evidence=evidence,
        suggestion=rule.suggestion.replace("{match}", match),
    )


def skipped(rule: Rule, ctx: Context, unit: Unit) -> bool:
    """Whether ``unit`` matches one of the rule's exceptions (and so is not read)."""
    exceptions = ctx.catalogue.pattern(rule.id, "exceptions", rule.exceptions)
    return bool(exceptions and exceptions.search(unit.text))


def _matches(pattern: re.Pattern[str] | None, text: str) -> list[str]:
    if pattern is None:
        return []
    found: list[str] = []
    for m in pattern.finditer(text):
        phrase = " ".join(m.group(0).split())
        if phrase and phrase.lower() not in (f.lower() for f in found):
            found.append(phrase)
    return found


def check_existence(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """A phrase of ``patterns`` (and, for cooccurrence, of every ``also`` group) in a unit."""
    pattern = ctx.catalogue.pattern(rule.id, "patterns", rule.patterns)
    groups = [ctx.catalogue.pattern(rule.id, f"also{i}", g) for i, g in enumerate(rule.also)]
    for unit in units_for(ctx.sop, rule.scope):
        found = _matches(pattern, unit.text)
        if not found or skipped(rule, ctx, unit):
            continue
        if not all(g is not None and g.search(unit.text) for g in groups):
            continue
        shown = ", ".join(f'"{f}"' for f in found)
        yield make_flag(rule, unit.section, f"{shown} in {quote(unit.text)}", shown)


def check_substitution(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """A phrase with a plainer replacement: one finding per unit naming each swap."""
    compiled = [(ctx.catalogue.pattern(rule.id, f"swap:{k}", [k]), v) for k, v in rule.swap.items()]
    for unit in units_for(ctx.sop, rule.scope):
        if skipped(rule, ctx, unit):
            continue
        swaps = [f"'{m.group(0)}' → '{v}'" for p, v in compiled if p and (m := p.search(unit.text))]
        if swaps:
            joined = "; ".join(swaps)
            yield make_flag(rule, unit.section, f"{joined} in {quote(unit.text)}", joined)


def check_occurrence(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """Length limits: words per sentence, words in the SOP, or number of steps."""
    limit = rule.max or 0
    if rule.measure == "sentence_words":
        for unit in units_for(ctx.sop, rule.scope):
            for sentence in SENTENCE_END.split(unit.text):
                n = word_count(sentence)
                if n > limit:
                    yield make_flag(rule, unit.section, f"{n} words: {quote(sentence, 160)}", str(n))
    elif rule.measure == "total_words":
        n = sum(word_count(u.text) for u in units_for(ctx.sop, rule.scope))
        if n > limit:
            yield make_flag(rule, rule.section or "purpose", f"{n} words (limit {limit})", str(n))
    elif rule.measure == "step_count" and len(ctx.sop.steps) > limit:
        yield make_flag(rule, "steps", f"{len(ctx.sop.steps)} steps (limit {limit})", str(len(ctx.sop.steps)))


def check_step_actor(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """A step whose actor is empty or generic, or whose action is written in the passive."""
    from app.critique.items import LETTERED, sentence_names_actor
    from app.critique.layout import load_layout

    passive = ctx.catalogue.pattern(rule.id, "patterns", rule.patterns)
    layout = load_layout()
    previous_ok = False
    for n, step in enumerate(ctx.sop.steps, start=1):
        actor = step.actor.strip()
        generic = not actor or ctx.is_generic_role(actor)
        is_passive = bool(passive and passive.search(step.action))
        if (generic or is_passive) and sentence_names_actor(step.action, layout):
            generic = is_passive = False  # "Within 2 days, the HR Coordinator confirms …", "… is checked by the QA Officer"
        lettered = bool(LETTERED.match(step.action))
        if (generic or is_passive) and previous_ok and lettered:
            generic = is_passive = False  # "a) the container matches …": a condition of the step above
        if not lettered:
            previous_ok = not (generic or is_passive)
        if generic or is_passive:
            who = f"actor {quote(actor)}" if actor else "no actor"
            yield make_flag(rule, "steps", f"Step {n} ({who}): {quote(step.action)}")


def check_overdue(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """metadata.next_review_date is before ``today``."""
    due = ctx.sop.metadata.next_review_date
    if due is not None and due < ctx.today:
        yield make_flag(rule, "metadata", f"next_review_date: {due.isoformat()}", f"{(ctx.today - due).days} days")


CHECKERS: dict[str, Callable[[Rule, Context], Iterator[Flag]]] = {
    "existence": check_existence,
    "cooccurrence": check_existence,
    "substitution": check_substitution,
    "occurrence": check_occurrence,
    "step-actor": check_step_actor,
    "overdue": check_overdue,
}
