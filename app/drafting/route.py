"""Which field a source sentence belongs to, when the model gave it for two that exclude each other.

Asked one field at a time over the whole notes, a small model sometimes answers with the
right sentence for the wrong field: "these notes are reviewed every 6 months" as the review
of the output, a forbidden list as the permitted one, "not covered" as what is covered.
Fields that never share a sentence are grouped in ``questions.yaml`` (``exclusive``), and a
field may carry a ``cue``: words a sentence for it contains. When one sentence feeds two
fields of a group and the cue of exactly one of them matches it, the sentence stays there;
when no cue decides, both keep it and verification and the reviewer judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.drafting.questions import Question


@dataclass(frozen=True)
class Claim:
    """An answer item's field and the index of the source sentence it came from."""

    field: str
    sentence: int


def _cues(questions: list[Question]) -> dict[str, re.Pattern[str]]:
    return {q.field: re.compile(q.cue, re.IGNORECASE) for q in questions if q.cue}


def winner(text: str, rivals: set[str], cues: dict[str, re.Pattern[str]]) -> str | None:
    """The one rival whose cue matches ``text``, or None when none or several do."""
    matching = [f for f in sorted(rivals) if f in cues and cues[f].search(text)]
    return matching[0] if len(matching) == 1 else None


def contested(claims: list[Claim], groups: tuple[tuple[str, ...], ...], sentences: list[str],
              questions: list[Question]) -> dict[Claim, str]:
    """Claims that lose their sentence to another field of an exclusive group, with that field."""
    cues = _cues(questions)
    fields_of: dict[int, set[str]] = {}
    for claim in claims:
        fields_of.setdefault(claim.sentence, set()).add(claim.field)
    losers: dict[Claim, str] = {}
    for sentence, fields in fields_of.items():
        for group in groups:
            rivals = fields & set(group)
            best = winner(sentences[sentence], rivals, cues) if len(rivals) > 1 else None
            if best is None:
                continue
            for claim in claims:
                if claim.sentence == sentence and claim.field in rivals and claim.field != best:
                    losers[claim] = best
    return losers
