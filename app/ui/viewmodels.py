"""Pure functions that reshape drafts, flags and records for display (no Streamlit, no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from app.models import SECTION_TITLES, SOP, ChunkRef, Draft, Flag
from app.registry.records import DraftRecord, Waiver

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_WORD = re.compile(r"[a-z0-9]{3,}")
# Words too common to say which sentence a statement came from.
_COMMON = frozenset("the and for with this that are was were not you your our but all any can has have had "
                    "its from into onto than then them they their there who what when which will would should "
                    "must may each one out how why don".split())
OTHER = "other"  # findings about the title, identification or the whole document
SEVERITY_ICON = {"blocker": ":material/block:", "warning": ":material/warning:", "info": ":material/info:"}


@dataclass
class EvidenceView:
    """One source passage shown beside a section."""

    chunk: ChunkRef
    where: str
    span: tuple[int, int] | None
    cited_by: list[int] = field(default_factory=list)  # 1-based item numbers of the section


@dataclass
class FlagView:
    """One finding with its waiver, if any."""

    flag: Flag
    waiver: Waiver | None

    @property
    def open_blocker(self) -> bool:
        """A blocker that still stops approval."""
        return self.flag.severity == "blocker" and not self.flag.advisory and self.waiver is None


def where(chunk: ChunkRef) -> str:
    """``file · p. N · heading`` for a source passage (a ChunkRef or an index SearchHit)."""
    parts = [chunk.source] + ([f"p. {chunk.page}"] if chunk.page else []) + ([chunk.heading] if chunk.heading else [])
    return " · ".join(parts)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _COMMON


def cited_span(text: str, statements: list[str]) -> tuple[int, int] | None:
    """The sentence of ``text`` that best matches ``statements`` (None if none shares 2+ words).

    Shared words are weighted by the square root of the sentence length, so neither a short
    heading nor a long paragraph wins just by its size.
    """
    wanted = set().union(*(_words(s) for s in statements)) if statements else set()
    best, best_score = None, 0.0
    for match in _SENTENCE.finditer(text):
        words = _words(match.group())
        shared = len(words & wanted)
        score = shared / len(words) ** 0.5 if shared >= 2 else 0.0
        if score > best_score:
            start = match.start() + len(match.group()) - len(match.group().lstrip())
            best, best_score = (start, match.end()), score
    return best


def section_items(sop: SOP, section: str) -> list:
    """The cited items of ``section`` in order (sub-lists of composite sections flattened)."""
    return [item for name, item in sop.cited_items() if name == section or name.startswith(section + ".")]


def evidence_for(draft: Draft, section: str) -> list[EvidenceView]:
    """The section's evidence passages (retrieved and cited), cited ones first."""
    items = section_items(draft.sop, section)
    cited_ids = [c for item in items for c in item.citations]
    ids = list(dict.fromkeys([*cited_ids, *draft.evidence.get(section, [])]))
    views = []
    for chunk_id in ids:
        chunk = draft.chunks.get(chunk_id)
        if chunk is None:
            continue
        citing = [n for n, item in enumerate(items, start=1) if chunk_id in item.citations]
        statements = [items[n - 1].as_text() for n in citing]
        views.append(EvidenceView(chunk, where(chunk), cited_span(chunk.text, statements), citing))
    return sorted(views, key=lambda v: not v.cited_by)


def unknown_citations(draft: Draft, section: str) -> list[str]:
    """Citation ids in ``section`` that are not in the draft's source snapshot."""
    cited = [c for item in section_items(draft.sop, section) for c in item.citations]
    return sorted({c for c in cited if c not in draft.chunks})


def flag_views(flags: list[Flag], waivers: list[Waiver]) -> list[FlagView]:
    """Each flag paired with its waiver."""
    by_id = {w.flag_id: w for w in waivers}
    return [FlagView(f, by_id.get(f.flag_id)) for f in flags]


def flag_section(flag: Flag) -> str:
    """The template section a flag belongs to (sub-sections folded in; else :data:`OTHER`)."""
    head = flag.section.split(".")[0]
    return head if head in SECTION_TITLES else OTHER


def flags_by_section(views: list[FlagView]) -> dict[str, list[FlagView]]:
    """Flag views grouped by :func:`flag_section`."""
    grouped: dict[str, list[FlagView]] = {}
    for view in views:
        grouped.setdefault(flag_section(view.flag), []).append(view)
    return grouped


def section_label(section: str, views: list[FlagView]) -> str:
    """A section's title with a count of its open findings, e.g. ``Procedure · 2 blockers``."""
    title = SECTION_TITLES.get(section, "Title and identification")
    blockers = sum(v.open_blocker for v in views)
    others = sum(1 for v in views if v.waiver is None and not v.open_blocker)
    counts = ([f"{blockers} blocker{'s' * (blockers != 1)}"] if blockers else []) + \
             ([f"{others} note{'s' * (others != 1)}"] if others else [])
    return " · ".join([title, *counts])


def review_marker(next_review: date | None, today: date, drifted: bool, within_days: int = 30) -> str:
    """``overdue`` / ``due in N days`` / ``source changed`` markers for the registry list."""
    markers = ["source changed: review early"] if drifted else []
    if next_review is not None:
        days = (next_review - today).days
        if days < 0:
            markers.append(f"overdue by {-days} days")
        elif days <= within_days:
            markers.append(f"due in {days} days")
    return "; ".join(markers) or "current"


def version_label(record: DraftRecord) -> str:
    """``v3 · draft · by Dana Reyes`` for a stored version."""
    return f"v{record.version} · {record.status} · by {record.author}"


def model_label(provider: str, model: str) -> str:
    """``provider (model)``, or just one of them when the other is empty or the same."""
    if model and provider and model != provider:
        return f"{provider} ({model})"
    return provider or model or "an unknown model"
