"""Run a catalogue over an SOP (or a draft) and return sorted, de-duplicated findings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from app.critique.applicability import Applicability, detect_ai
from app.critique.catalogue import Catalogue
from app.critique.checks import CHECKERS
from app.critique.concrete import Context
from app.critique.controls import check_required
from app.critique.document import Document, HeadingMap
from app.critique.provenance import check_provenance, check_uncited
from app.critique.units import units_for
from app.models import SECTION_TITLES, SOP, ChunkRef, Draft, Flag

ALL_CHECKERS = {**CHECKERS, "required": check_required, "provenance": check_provenance, "uncited": check_uncited}
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


@dataclass
class CritiqueResult:
    """The findings on one SOP, whether the AI rules applied (and why), and how headings were read."""

    flags: list[Flag]
    applicability: Applicability
    headings: list[HeadingMap] = field(default_factory=list)

    @property
    def applies_to_ai(self) -> bool:
        """Whether the AI-specific rules were run."""
        return self.applicability.applies_to_ai


def critique_document(
    doc: Document,
    catalogue: Catalogue,
    *,
    today: date | None = None,
    chunks: dict[str, ChunkRef] | None = None,
    ai: bool | None = None,
    by_meaning: bool = True,
) -> CritiqueResult:
    """Every finding of the catalogue's rules on ``doc``, with controls searched for anywhere.

    ``ai`` overrides the detection of AI involvement (None: front matter, then the text);
    ``chunks`` (the drafted SOP's source snapshot) turns on the citation checks;
    ``by_meaning=False`` leaves the embedding model out (synonyms and patterns only).
    """
    from app.critique.meaning import meaning

    applicability = detect_ai(doc, ai)
    ctx = Context.build(doc.sop, catalogue, today or date.today(), chunks, doc=doc,
                        model=meaning() if by_meaning else None, ai=applicability)
    flags: list[Flag] = []
    for rule in catalogue.rules:
        if rule.applies_to == "ai" and not applicability.applies_to_ai:
            continue
        flags.extend(ALL_CHECKERS[rule.kind](rule, ctx))
    return CritiqueResult(sort_flags(flags), applicability, list(doc.headings))


def critique(
    sop: SOP,
    catalogue: Catalogue,
    *,
    today: date | None = None,
    chunks: dict[str, ChunkRef] | None = None,
    ai: bool | None = None,
) -> list[Flag]:
    """Every finding of the catalogue's rules on ``sop`` (see :func:`critique_document`)."""
    return critique_document(Document.from_sop(sop), catalogue, today=today, chunks=chunks, ai=ai).flags


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
