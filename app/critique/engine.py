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


def _still_applies(flag: Flag, sop_text: str) -> bool:
    if flag.rule in ALWAYS_KEPT:
        return True
    quoted = [q.rstrip("….").strip() for q in QUOTED.findall(flag.evidence)] or [flag.evidence.strip()]
    normalised = " ".join(sop_text.split()).lower()
    return any(q and " ".join(q.split()).lower() in normalised for q in quoted)


def critique_draft(draft: Draft, catalogue: Catalogue, *, today: date | None = None) -> list[Flag]:
    """The critique of a draft's SOP with its chunks, plus the drafting-time flags that still apply."""
    flags = critique(draft.sop, catalogue, today=today, chunks=draft.chunks)
    sop_text = "\n".join(u.text for u in units_for(draft.sop, ["*"]))
    kept = [f for f in draft.flags if _still_applies(f, sop_text)]
    return sort_flags(flags + kept)


def blockers(flags: list[Flag]) -> list[Flag]:
    """The non-advisory blockers among ``flags``."""
    return [f for f in flags if f.severity == "blocker" and not f.advisory]
