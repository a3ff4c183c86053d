"""Required controls, found in their section or anywhere in the document by meaning.

A control is present when some text states it concretely: a unit of its template scope
passes the rule's concreteness tests (the fast path), or a sentence anywhere in the source
passes them and either sits in the control's own section or means the control (close to
one of its prototypes in ``prototypes.yaml``). Sentences are only ever added as evidence
for a control, so a negative or contrasting sentence never cancels a positive one. A
missing control's evidence says what was searched and which sentence came closest.
"""

from __future__ import annotations

from typing import Iterator

from app.critique.catalogue import Rule
from app.critique.checks import make_flag, quote, skipped
from app.critique.concrete import TESTS, Context, passes
from app.critique.meaning import load_cues
from app.critique.units import Unit, units_for
from app.models import Flag

# A sentence outside the control's section counts when it passes the control's tests and cue
# words, sits where any control may be stated in passing (or in a sibling section), and the
# model does not place it clearly with another control: within MARGIN of the control it is
# closest to. (MiniLM places single SOP sentences in the right control only 30-70% of the
# time, so meaning vetoes here rather than decides.) A sentence that fed another section
# with a purpose of its own never counts: the structure says it is about that.
MARGIN = 0.2
SIBLING_MARGIN = 0.3
# Controls often stated together in one header sentence ("owned by X and reviewed every 12 months").
HEADER_CONTROLS = ("missing-owner", "missing-review-cadence")
# Where any control may be stated in passing: unmapped text, header lines, the procedure, the roles.
OPEN_SECTIONS = ("document", "preamble", "metadata", "steps", "roles", "inputs")
# Sections that often state each other's control ("Purpose and scope"; checks listed under review).
SIBLINGS = {"scope": ("purpose", "trigger"), "trigger": ("scope", "purpose"), "quality_checks": ("human_review",),
            "human_review": ("quality_checks",), "data_rules": ("approved_tools", "scope"),
            "approved_tools": ("data_rules", "purpose", "scope"), "escalation": ("human_review", "quality_checks")}
# At most this many sentences per control go to the model (the most promising first).
CANDIDATES = 3
TEST_WORDS = {
    "statement": "a full statement", "event": "an event", "role": "a named role", "tool": "a named tool",
    "system": "a named system or location", "number_or_date": "a number or date", "interval": "an interval or date",
    "prohibition": "a prohibition", "data": "the data concerned", "data_rule": "a rule on which data may be used",
    "review": "a review or approval", "reviewed_output": "what is reviewed, before use",
    "criterion": "a criterion that can be checked", "owner": "a named owner",
}


def sentence_units(ctx: Context) -> list[Unit]:
    """Every sentence of the source as a unit, labelled with the section its block fed."""
    if ctx.doc is None:
        return []
    cached = getattr(ctx, "_sentence_units", None)
    if cached is None:
        cached = [Unit(s.section or "document", s.section or "document", s.text, None) for s in ctx.doc.sentences()]
        object.__setattr__(ctx, "_sentence_units", cached)
    return cached


def _similarity(rule: Rule, ctx: Context, units: list[Unit]) -> list[tuple[float, float]]:
    """Per unit: its similarity to the control, and to the control it is closest to.

    Without the model (or prototypes for the rule) every unit is taken as close: (1.0, 1.0).
    """
    return [(sim, best) for sim, best, _ in _nearest(rule, ctx, units)]


def _nearest(rule: Rule, ctx: Context, units: list[Unit]) -> list[tuple[float, float, str]]:
    """Per unit: similarity to the control, to the closest control, and that control's rule id."""
    if ctx.model is None or not units or rule.id not in ctx.model.groups["controls"][0]:
        return [(1.0, 1.0, rule.id)] * len(units)
    out = []
    for scores in ctx.model.scores([u.text for u in units], "controls"):
        best = max(scores, key=scores.get)
        out.append((scores.get(rule.id, 0.0), scores[best], best))
    return out


def _states_too(rule_id: str, ctx: Context, unit: Unit) -> bool:
    """Whether ``unit`` also passes the tests of control ``rule_id`` (one sentence, two controls)."""
    try:
        other = ctx.catalogue.rule(rule_id)
    except KeyError:
        return False
    return other.kind == "required" and passes(unit, ctx, other.requires_all, other.requires_any)


def _tests(rule: Rule) -> list[str]:
    return [*rule.requires_all, *rule.requires_any]


def _lacks(rule: Rule, ctx: Context, unit: Unit) -> list[str]:
    failed = [t for t in rule.requires_all if not TESTS[t](unit, ctx)]
    if rule.requires_any and not any(TESTS[t](unit, ctx) for t in rule.requires_any):
        failed.append(" or ".join(rule.requires_any))
    return [" or ".join(TEST_WORDS.get(p, p) for p in t.split(" or ")) for t in failed]


def _cued(rule: Rule, unit: Unit) -> bool:
    cue = load_cues().get(rule.id)
    return cue is None or bool(cue.search(unit.text))


def _rank(rule: Rule, ctx: Context, units: list[Unit]) -> list[Unit]:
    """Units by promise: in the control's section, then by how many of its tests they pass."""
    tests = _tests(rule)
    return sorted(units, key=lambda u: (u.section != rule.section, -sum(TESTS[t](u, ctx) for t in tests)))


def found_anywhere(rule: Rule, ctx: Context) -> bool:
    """Whether a sentence outside the template mapping states the control concretely."""
    passing = [u for u in sentence_units(ctx)
               if not skipped(rule, ctx, u) and passes(u, ctx, rule.requires_all, rule.requires_any)]
    if any(u.section == rule.section for u in passing):
        return True
    where = (*OPEN_SECTIONS, *SIBLINGS.get(rule.section, ()))
    passing = [u for u in passing if u.section in where and _cued(rule, u)][:CANDIDATES]
    # The model vetoes a sentence it places clearly with another control (a sibling's less readily),
    # unless the sentence states that control too ("owned by X and reviewed every 12 months").
    siblings = SIBLINGS.get(rule.section, ())
    for unit, (sim, best, nearest) in zip(passing, _nearest(rule, ctx, passing)):
        if sim >= best - (SIBLING_MARGIN if unit.section in siblings else MARGIN) or (
                {rule.id, nearest} <= set(HEADER_CONTROLS) and _states_too(nearest, ctx, unit)):
            return True
    return False


def closest(rule: Rule, ctx: Context) -> Unit | None:
    """The sentence nearest to stating the control: in its section or with its cue words, most tests passed.

    Ranked by wording only, so the evidence (and the finding's id, which waivers use) does not
    depend on what the embedding cache holds.
    """
    pool = [u for u in sentence_units(ctx) if u.section == rule.section or _cued(rule, u)]
    ranked = _rank(rule, ctx, pool)
    return ranked[0] if ranked else None


def missing_evidence(rule: Rule, own: list[Unit]) -> str:
    """The evidence of a missing control: the vague text of its section, or what is absent.

    It is part of the finding's id (which waivers keep), so it names only the section's own text.
    """
    if own:
        return "Only vague or incomplete text: " + "; ".join(quote(u.text, 120) for u in own[:3])
    return rule.absent or "Nothing stated."


def search_note(rule: Rule, ctx: Context) -> str:
    """What was searched for a missing control and the closest sentence found (shown with the message)."""
    if not sentence_units(ctx):
        return ""
    searched = f"Searched {', '.join(dict.fromkeys(rule.scope))} and every sentence of the document"
    unit = closest(rule, ctx)
    if unit is None:
        return f" {searched}; nothing came close."
    lacks = _lacks(rule, ctx, unit)
    why = f"lacks {', '.join(lacks)}" if lacks else "outside its section, and closer in meaning to another control"
    return f" {searched}; closest: {quote(unit.text, 140)} [{unit.section}; {why}]."


def applies(rule: Rule, ctx: Context) -> bool:
    """Whether the rule applies to this SOP (AI-specific rules only where AI is involved)."""
    if rule.applies_to == "ai" and not ctx.ai.applies_to_ai:
        return False
    if not rule.applies_if:
        return True
    pattern = ctx.catalogue.pattern(rule.id, "applies_if", rule.applies_if)
    return any(pattern and pattern.search(u.text) for u in units_for(ctx.sop, ["*"]))


def check_required(rule: Rule, ctx: Context) -> Iterator[Flag]:
    """A control: a unit in scope, or a sentence anywhere, must pass the concreteness tests."""
    if not applies(rule, ctx):
        return
    units = units_for(ctx.sop, rule.scope)
    if any(passes(u, ctx, rule.requires_all, rule.requires_any) for u in units if not skipped(rule, ctx, u)):
        return
    if found_anywhere(rule, ctx):
        return
    own = [u for u in units if u.section == rule.section]
    flag = make_flag(rule, rule.section, missing_evidence(rule, own))
    yield flag.model_copy(update={"message": flag.message + search_note(rule, ctx)})
