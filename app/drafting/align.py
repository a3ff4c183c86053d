"""Match each drafted item back to the source sentences that say it: its citations.

The model is asked to keep the words of its sources and not to cite anything, so citing is
not left to it (small models cite the first source for everything). An item is matched to
the sentence that holds most of its content words, plus a second sentence when that one
adds words the first lacks; its citations are those sentences' chunks. An item that no
sentence comes close to, by words or by meaning, is not a statement of the sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from app.drafting.verify import content_words

Embed = Callable[[list[str]], np.ndarray]

SECOND_SENTENCE_GAIN = 0.2  # share of an item's words a second sentence must add to be cited too
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+\u2022]\s|\d{1,2}[.)]\s|\|)")


@dataclass(frozen=True)
class Match:
    """Where an item comes from: the sentences (and their chunks) that say it, and how well."""

    citations: list[str]
    sentences: list[str]
    primary: int  # index of the best sentence in the matcher's list (-1: none)
    lexical: float  # share of the item's content words found in the matched sentences
    semantic: float | None  # cosine similarity of the item with its best sentence
    words: int = 0  # content words of the item
    # What the best sentence stands under: the sentence before it in its chunk, or for an item of a
    # list or a table the line that opens the list ("Never paste:") and the chunk's heading.
    lead: str = ""

    @property
    def found(self) -> int:
        """How many of the item's content words the matched sentences hold."""
        return round(self.lexical * self.words)


class SentenceMatcher:
    """The sentences a draft was written from, ready to be matched against items."""

    def __init__(self, sentences: list[tuple[str, str]], embed: Embed | None = None,
                 headings: dict[str, str] | None = None) -> None:
        self.sentences = sentences
        self.headings = headings or {}
        self._words = [content_words(text) for _, text in sentences]
        self._numbers = [set(_NUMBER.findall(text)) for _, text in sentences]
        self._embed = embed
        self._vectors: np.ndarray | None = None

    def vectors(self) -> np.ndarray | None:
        """Unit embeddings of the sentences (computed once), or None without an embedding model."""
        return self._sentence_vectors()

    def _sentence_vectors(self) -> np.ndarray | None:
        if self._embed is None or not self.sentences:
            return None
        if self._vectors is None:
            self._vectors = self._embed([text for _, text in self.sentences])
        return self._vectors

    def match(self, text: str) -> Match:
        """The best sentences for ``text``."""
        return self.match_all([text])[0]

    def match_all(self, texts: list[str]) -> list[Match]:
        """The best sentences for each of ``texts`` (embedded in one batch)."""
        vectors = self._sentence_vectors()
        item_vectors = self._embed(texts) if vectors is not None and texts else None
        return [self._match(text, None if item_vectors is None else vectors @ item_vectors[n])
                for n, text in enumerate(texts)]

    def _match(self, text: str, similarity: np.ndarray | None) -> Match:
        words = content_words(text)
        numbers = set(_NUMBER.findall(text))
        if not self.sentences:
            return Match([], [], -1, 0.0, None, len(words))

        def coverage(covered: set[str]) -> float:
            return len(words & covered) / len(words) if words else 0.0

        # Words first, numbers as a tie-break (a sentence with the item's "5,000" is its source),
        # meaning last (a paraphrase shares few words).
        scores = [coverage(w) + 0.01 * len(numbers & n) + (0.001 * float(similarity[i]) if similarity is not None else 0)
                  for i, (w, n) in enumerate(zip(self._words, self._numbers))]
        best = int(np.argmax(scores))
        if similarity is not None and coverage(self._words[best]) < 0.5:
            by_meaning = int(np.argmax(similarity))
            if similarity[by_meaning] > similarity[best] + 0.1:
                best = by_meaning
        chosen = [best]
        covered = set(self._words[best])
        gains = [coverage(covered | w) - coverage(covered) for w in self._words]
        second = int(np.argmax(gains))
        if gains[second] >= SECOND_SENTENCE_GAIN:
            chosen.append(second)
            covered |= self._words[second]
        chosen.sort()
        citations = list(dict.fromkeys(self.sentences[i][0] for i in chosen))
        semantic = float(similarity[best]) if similarity is not None else None
        return Match(citations, [self.sentences[i][1] for i in chosen], best, coverage(covered), semantic, len(words),
                     self.lead(best))

    def lead(self, n: int) -> str:
        """What sentence ``n`` stands under (see :attr:`Match.lead`)."""
        chunk, text = self.sentences[n]
        before = [t for c, t in self.sentences[:n] if c == chunk]
        if not _LIST_ITEM.match(text):
            return before[-1] if before else ""
        opener = next((t for t in reversed(before) if not _LIST_ITEM.match(t)), "")
        parts = (self.headings.get(chunk, ""), opener, before[-1] if before else "")
        return " ".join(part for part in dict.fromkeys(parts) if part)
