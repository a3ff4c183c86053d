"""Run a catalogue over an SOP (or a draft) and return sorted, de-duplicated findings."""

from __future__ import annotations

import re
from datetime import date

from app.critique.catalogue import Catalogue
from app.critique.checks import CHECKERS
from app.critique.concrete import Context
from app.critique.provenance import check_provenance, check_uncited
from app.critique.units import units_for
from app.models import SECTION_TITLES, SOP, ChunkRef, Draft, Flag

ALL_CHECKERS = {**CHECKERS, "provenance": check_provenance, "uncited": check_uncited}
SEVERITY_ORDER = {"blocker": 0, "warning": 1, "info": 2}
SECTION_ORDER = {name: i for i, name in enumerate(["title", "metadata", *SECTION_TITLES])}
# Drafting-time findings that stay whatever the text now says.
ALWAYS_KEPT = {"prompt-injection"}
# Drafting-time findings about an empty section: they hold until someone fills it.
WHILE_EMPTY = {"no-evidence", "drafting-error"}
CITATION_RULES = {"unsupported-claim", "uncited-statement"}
QUOTED = re.compile(r'"([^"]+)"')


def sort_flags(flags: list[Flag]) -> list[Flag]:
    """Severity first, then template order of the section; duplicates (same flag_id) dropped."""
    unique: dict[str, Flag] = {}
    for flag in flags:
        unique.setdefault(flag.flag_id, flag)
    return sorted(
        unique.values(),
        key=lambda f: (SEVERITY_ORDER[f.severity], SECTION_ORDER.get(f.section, len(SECTION_ORDER)), f.rule),
    )


def critique(
    sop: SOP,
    catalogue: Catalogue,
    *,
    today: date | None = None,
    chunks: dict[str, ChunkRef] | None = None,
) -> list[Flag]:
    """Every finding of the catalogue's rules on ``sop``.

    ``chunks`` (the drafted SOP's source snapshot) turns on the citation checks.
    """
    ctx = Context.build(sop, catalogue, today or date.today(), chunks)
    flags: list[Flag] = []
    for rule in catalogue.rules:
        flags.extend(ALL_CHECKERS[rule.kind](rule, ctx))
    return sort_flags(flags)


def _plain(text: str) -> str:
    """Evidence text without quotes, ellipsis or case/whitespace differences."""
    quoted = QUOTED.findall(text)
    body = quoted[0] if len(quoted) == 1 and text.strip().startswith('"') else text
    return " ".join(body.rstrip("…").split()).lower()


def _section_empty(sop: SOP, section: str) -> bool:
    value = getattr(sop, section, None)
    if isinstance(value, list) or value is None:
        return not value
    return not any(v for k, v in value.model_dump().items() if k != "citations")


def _still_applies(flag: Flag, sop: SOP, sop_text: str) -> bool:
    if flag.rule in ALWAYS_KEPT:
        return True
    if flag.rule in WHILE_EMPTY:
        return _section_empty(sop, flag.section)
    evidence = _plain(flag.evidence)
    return not evidence or evidence in sop_text


def critique_draft(draft: Draft, catalogue: Catalogue, *, today: date | None = None) -> list[Flag]:
    """The critique of a draft's SOP with its chunks, plus the drafting-time flags that still apply.

    Where drafting already flagged a statement as unsupported, the critique's own
    citation finding on the same statement is dropped (one finding per problem).
    """
    sop = draft.sop
    texts = [item.as_text() for _, item in sop.cited_items()] + [u.text for u in units_for(sop, ["*"])]
    sop_text = " ".join(" ".join(texts).split()).lower()
    kept = [f for f in draft.flags if _still_applies(f, sop, sop_text)]
    drafted = {_plain(f.evidence) for f in kept if f.rule == "unsupported-claim"}
    flags = [f for f in critique(sop, catalogue, today=today, chunks=draft.chunks)
             if not (f.rule in CITATION_RULES and any(d.startswith(_plain(f.evidence)) for d in drafted))]
    return sort_flags(flags + kept)


def blockers(flags: list[Flag]) -> list[Flag]:
    """The non-advisory blockers among ``flags``."""
    return [f for f in flags if f.severity == "blocker" and not f.advisory]
