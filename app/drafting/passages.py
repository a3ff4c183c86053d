"""The part of a long chunk the model sees: its most relevant sentences, never its first N characters.

A chunk is cut into sentences (and lines: list items, table rows). Evidence gathering
scores every sentence against each section's query; a drafting call then shows, for each
chunk longer than the budget, the sentences that matter most to its sections, in document
order, with ``…`` where text was left out, and the sentence before any sentence that
leans on it ("This …", "They …"). Citations stay on the chunk id.
"""

from __future__ import annotations

import re

# Chunks shown to the model are held to about this many characters: prompt evaluation
# dominates draft time on 2 cores.
SHOWN_CHARS = 600
GAP = " … "
_BREAK = re.compile(r"\n+|(?<=[.!?;:])[\"')\]]*\s+(?=\S)")
# A single line break inside a paragraph is a hard wrap, not a sentence end: the line before
# it does not end a sentence and the line after it does not open a list item, heading or row.
_ENDS_LINE = re.compile(r"[.!?;:]['\")\]*_]*\s*$")
_OPENS_BLOCK = re.compile(r"\s*(?:[-*+•>|#]|\d{1,3}[.)]\s|[A-Za-z][.)]\s)")
# A fragment this short (a list marker, a two-word heading) joins the sentence after it.
_MIN_SENTENCE = 25
_LEANS_BACK = re.compile(r"^(?:this|that|these|those|it|they|them|then|otherwise|such|if so|if not|in that case)\b", re.I)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence or line of ``text``, whitespace trimmed, short fragments joined."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in [*(m for m in _BREAK.finditer(text) if not _wrapped(text, m)), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        s, e = start + lead, start + len(piece.rstrip())
        if e > s:
            if spans and spans[-1][1] - spans[-1][0] < _MIN_SENTENCE:
                spans[-1] = (spans[-1][0], e)
            else:
                spans.append((s, e))
        if match:
            start = match.end()
    return spans


def _wrapped(text: str, match: re.Match[str]) -> bool:
    """Whether ``match`` is one line break of a hard-wrapped paragraph."""
    if match.group() != "\n":
        return False
    line_start = text.rfind("\n", 0, match.start()) + 1
    line = text[line_start:match.start()]
    return not (_ENDS_LINE.search(line) or line.lstrip().startswith(("#", "|")) or _OPENS_BLOCK.match(text, match.end()))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("\n"))
    return cut[: end + 1] if end > limit // 2 else cut


def select_sentences(spans: list[tuple[int, int]], scores: list[float], text: str, limit: int) -> list[int]:
    """Indices of the sentences to show: best first until ``limit`` characters, in document order."""
    chosen: set[int] = set()
    used = 0
    for i in sorted(range(len(spans)), key=lambda i: -scores[i]):
        want = [i]
        if i > 0 and i - 1 not in chosen and _LEANS_BACK.match(text[spans[i][0]:spans[i][1]]):
            want.insert(0, i - 1)
        cost = sum(spans[j][1] - spans[j][0] + len(GAP) for j in want if j not in chosen)
        if chosen and used + cost > limit:
            continue
        chosen.update(want)
        used += cost
    return sorted(chosen)


def shown_text(text: str, scores: list[float] | None = None, limit: int = SHOWN_CHARS) -> str:
    """What the model sees of a chunk: all of it if short, else its best sentences by ``scores``.

    ``scores`` has one relevance score per :func:`sentence_spans` of the *unmasked* chunk.
    Masking does not add or remove sentence breaks, so the same split of the masked text
    lines up; where it does not (or there are no scores), the text is cut at a sentence end.
    """
    if len(text) <= limit:
        return text
    spans = sentence_spans(text)
    if not scores or len(scores) != len(spans):
        return _cut(text, limit)
    keep = select_sentences(spans, scores, text, limit)
    runs: list[list[int]] = []
    for i in keep:  # consecutive sentences are shown as the text between them, line breaks kept
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    shown = GAP.join(_cut(text[spans[run[0]][0]:spans[run[-1]][1]], limit) for run in runs)
    prefix = "… " if keep and keep[0] > 0 else ""
    suffix = " …" if keep and keep[-1] < len(spans) - 1 else ""
    return prefix + shown + suffix
