"""A parsed SOP together with every sentence of its source, and where each one sat.

The template model (:class:`~app.models.SOP`) keeps only what maps onto a section. The
critique also needs what did not map (text under an unrecognised heading, table rows,
front matter), so controls can be found anywhere in the document. A :class:`Document`
holds both; one built from an SOP alone (JSON, drafts) takes its sentences from the SOP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.critique.units import units_for
from app.models import SOP

# A sentence ends at . ! ? or ; followed by space (not inside "e.g. " or "i.e. ").
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<=[.!?;])\s+(?=[\"'(\[A-Z0-9*_])")
META_FIELDS = ("owner_name", "owner_role", "approver", "review_cadence_months", "next_review_date")


@dataclass(frozen=True)
class Passage:
    """One block of the source: its text, the template section it fed (None: none) and its heading."""

    text: str
    section: str | None
    heading: str = ""
    kind: str = "para"


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage."""

    text: str
    section: str | None
    heading: str


@dataclass(frozen=True)
class HeadingMap:
    """How one heading was read: the section it maps to, and how (``synonym``, ``meaning`` or ``none``)."""

    heading: str
    section: str | None
    how: str
    similarity: float = 0.0


@dataclass
class Document:
    """An SOP as the template sees it, plus its source passages and front matter."""

    sop: SOP
    passages: list[Passage] = field(default_factory=list)
    front: dict[str, Any] = field(default_factory=dict)
    headings: list[HeadingMap] = field(default_factory=list)

    @classmethod
    def from_sop(cls, sop: SOP) -> "Document":
        """A document whose passages are the SOP's own units (no source text is known)."""
        passages = [Passage(u.text, u.section, u.section, "unit") for u in units_for(sop, ["*"]) if u.section != "title"]
        for name in META_FIELDS:
            value = getattr(sop.metadata, name)
            if value not in (None, ""):
                passages.append(Passage(f"{name.replace('_', ' ')}: {value}", "metadata", "metadata", "meta"))
        return cls(sop=sop, passages=passages)

    def sentences(self) -> list[Sentence]:
        """Every sentence of every passage, in document order, without exact repeats."""
        seen: set[str] = set()
        out: list[Sentence] = []
        for p in self.passages:
            # A template unit (one item of an SOP) is one statement already; source blocks are split.
            for part in [p.text] if p.kind == "unit" else SENTENCE_END.split(p.text):
                text = " ".join(part.split())
                if len(text) < 3 or text.lower() in seen:
                    continue
                seen.add(text.lower())
                out.append(Sentence(text, p.section, p.heading))
        return out

    @property
    def mapped_sections(self) -> set[str]:
        """Template sections that some passage fed."""
        return {p.section for p in self.passages if p.section}
