"""Heading, column and label synonyms (``headings.yaml``) and how they are matched."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

HEADINGS_PATH = Path(__file__).with_name("headings.yaml")
NUMBERING = re.compile(
    r"^\s*(?:(?:section|part|step|stage)\s+)?(?:\d+(?:\.\d+)*[.):-]?|(?:[a-z]|[ivx]+)[.):-])\s+", re.I
)
EMPHASIS = re.compile(r"(\*\*|__|`)")


def strip_emphasis(text: str) -> str:
    """Text without bold/code markers (``**Owner:**`` -> ``Owner:``)."""
    return EMPHASIS.sub("", text).strip()


def normalise(text: str) -> str:
    """A heading or label in comparable form: lower case, no numbering or punctuation."""
    text = strip_emphasis(text).replace("&", " and ").lower()
    text = NUMBERING.sub("", text)
    text = re.sub(r"[^\w\s#/'’-]", " ", text)
    return " ".join(text.split()).strip(" -")


@dataclass(frozen=True)
class Layout:
    """The parsed ``headings.yaml``."""

    sections: dict[str, tuple[str, ...]]
    keywords: tuple[tuple[str, re.Pattern[str]], ...]
    subsections: dict[str, dict[str, tuple[str, ...]]]
    columns: dict[str, dict[str, tuple[str, ...]]]
    source_columns: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]
    actor_nouns: re.Pattern[str]

    def section_for(self, heading: str) -> str | None:
        """The template section a heading names (exact synonym, else keyword), or None."""
        return self.synonym_section(heading) or self.keyword_section(heading)

    def synonym_section(self, heading: str) -> str | None:
        """The section whose synonym list holds the heading exactly, or None."""
        key = normalise(heading)
        for name, synonyms in self.sections.items():
            if key in synonyms:
                return name
        return None

    def keyword_section(self, heading: str) -> str | None:
        """The section of the first keyword pattern the heading matches, or None."""
        key = normalise(heading)
        for name, pattern in self.keywords:
            if pattern.search(key):
                return name
        return None

    def subsection_for(self, section: str, heading: str) -> str | None:
        """The sub-field of ``section`` a sub-heading or label names, or None."""
        key = normalise(heading)
        for sub, synonyms in self.subsections.get(section, {}).items():
            if key in synonyms:
                return sub
        return None

    def label_for(self, label: str) -> str | None:
        """The metadata field a ``Key:`` label names, or None."""
        key = normalise(label).replace("_", " ")
        for name, synonyms in self.labels.items():
            if key in synonyms or key.replace(" ", "_") in synonyms:
                return name
        return None

    def column_map(self, section: str, header: list[str]) -> dict[str, int]:
        """Field name -> column index for a table under ``section`` (plus 'sources')."""
        found: dict[str, int] = {}
        wanted = self.columns.get(section, {})
        for i, cell in enumerate(header):
            key = normalise(cell)
            if key in self.source_columns and "sources" not in found:
                found["sources"] = i
                continue
            for name, synonyms in wanted.items():
                if key in synonyms and name not in found:
                    found[name] = i
                    break
        return found


@lru_cache(maxsize=1)
def load_layout(path: Path = HEADINGS_PATH) -> Layout:
    """The heading synonyms shipped with sopdraft (read once per process)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    columns = dict(data["columns"])
    sources = tuple(columns.pop("sources"))
    return Layout(
        sections={k: tuple(v) for k, v in data["sections"].items()},
        keywords=tuple((name, re.compile(rx, re.I)) for name, rx in data["keywords"]),
        subsections={s: {k: tuple(v) for k, v in subs.items()} for s, subs in data["subsections"].items()},
        columns={s: {k: tuple(v) for k, v in cols.items()} for s, cols in columns.items()},
        source_columns=sources,
        labels={k: tuple(v) for k, v in data["labels"].items()},
        actor_nouns=re.compile(r"\b(?:" + "|".join(re.escape(w) for w in data["actor_nouns"]) + r")\b", re.I),
    )
