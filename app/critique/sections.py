"""Headings the synonym list does not know, mapped to a template section by meaning.

Each such heading is judged alone and, where that is unsure, together with the opening of
the text under it ("What you may put in the tool" + "You may: let Zendesk AI read ...")
against the section prototypes of ``prototypes.yaml``; it maps to the closest section when
that section is close enough and clearly closer than the runner-up. The keyword patterns
of ``headings.yaml`` decide only when meaning does not. All unknown headings of a document
go to the model in one batch.
"""

from __future__ import annotations

from app.critique.blocks import Block
from app.critique.document import HeadingMap
from app.critique.layout import Layout
from app.critique.meaning import Meaning

BODY_CHARS = 160
MIN_SIMILARITY = 0.45
MIN_MARGIN = 0.02


def _body(blocks: list[Block], start: int) -> str:
    """The text under the heading at ``start``, up to the next heading, shortened."""
    parts: list[str] = []
    for block in blocks[start + 1:]:
        if block.kind == "heading":
            break
        parts.append(block.text if block.kind != "table" else " ".join(" ".join(r) for r in block.rows[:3]))
        if sum(len(p) for p in parts) > BODY_CHARS:
            break
    return " ".join(" ".join(parts).split())[:BODY_CHARS]


def unknown_headings(blocks: list[Block], layout: Layout) -> list[tuple[str, str]]:
    """``(heading, body)`` of every heading that no synonym maps.

    Left out: the title (a first heading at level 1) and sub-headings of a section the
    synonyms mapped ("8.1 Evaluate the request" under "8. Procedure" is part of it).
    """
    out: list[tuple[str, str]] = []
    inside = 0  # level of the enclosing synonym-mapped heading (0: none)
    first = True
    for i, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        if first and block.level == 1:
            first = False
            continue
        first = False
        if inside and block.level > inside:
            continue
        inside = block.level if layout.synonym_section(block.text) else 0
        if not inside and block.text not in (h for h, _ in out):
            out.append((block.text, _body(blocks, i)))
    return out


def _decide(scores: dict[str, float]) -> str | None:
    """The section clearly closest to a heading, or None."""
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, sim), runner = ranked[0], ranked[1][1] if len(ranked) > 1 else 0.0
    return best if best != "none" and sim >= MIN_SIMILARITY and sim - runner >= MIN_MARGIN else None


def headings_by_meaning(blocks: list[Block], layout: Layout, model: Meaning | None) -> dict[str, HeadingMap]:
    """Heading text -> how it maps by meaning (``section`` None when nothing is close enough)."""
    todo = unknown_headings(blocks, layout)
    if not todo or model is None:
        return {}
    out: dict[str, HeadingMap] = {}
    # The heading alone first (short, cheap); the opening of its body only where that is unsure.
    alone = model.scores([heading for heading, _ in todo], "sections")
    unsure = [i for i, scores in enumerate(alone) if _decide(scores) is None and todo[i][1]]
    with_body = dict(zip(unsure, model.scores([f"{todo[i][0]}. {todo[i][1]}" for i in unsure], "sections")))
    for i, (heading, _) in enumerate(todo):
        scores = alone[i]
        if i in with_body:
            scores = {name: max(scores[name], with_body[i][name]) for name in scores}
        best = _decide(scores)
        out[heading] = HeadingMap(heading, best, "meaning" if best else "none", round(max(scores.values()), 3))
    return out
