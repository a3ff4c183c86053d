"""The rule catalogue: rules as data (``rules.yaml``) plus a team's overrides.

A catalogue has *rules* (each of one kind: existence, cooccurrence, substitution,
occurrence, required, or one of the built-in structural checks) and a *vocabulary* of
named phrase lists that the concreteness tests use (what counts as a named role, a
named tool, an interval...). A team file may add rules, disable rules, re-level
severities, extend a rule's phrase lists and extend the vocabulary.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from app.models import LIST_SECTIONS, SECTION_PARTS, SECTION_TITLES, Severity, item_fields

CORE_RULES_PATH = Path(__file__).with_name("rules.yaml")

RuleKind = Literal[
    "existence", "cooccurrence", "substitution", "occurrence", "required",
    "step-actor", "overdue", "provenance", "uncited",
]
# Concreteness tests a `required` rule may ask for (implemented in app.critique.concrete).
TestName = Literal[
    "statement", "role", "tool", "system", "number_or_date", "interval", "prohibition",
    "data", "data_rule", "review", "reviewed_output", "criterion", "owner", "event",
]
Measure = Literal["sentence_words", "total_words", "step_count"]

# Scope tokens: a section (one unit per item) or a field (one unit per item's field).
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    section: item_fields(item) for section, item in LIST_SECTIONS.items() if len(item_fields(item)) > 1
}
SUBSECTIONS: dict[str, tuple[str, ...]] = {
    **{section: tuple(parts) for section, parts in SECTION_PARTS.items()},
    "metadata": ("owner_name", "owner_role", "approver", "review_cadence_months", "next_review_date"),
}


def known_scopes() -> set[str]:
    """Every scope token a rule may name."""
    tokens = {"*", "title"} | set(SECTION_TITLES)
    tokens |= {f"{s}.{f}" for s, fields in ITEM_FIELDS.items() for f in fields}
    tokens |= {f"{s}.{f}" for s, fields in SUBSECTIONS.items() for f in fields}
    tokens.add("metadata")
    return tokens


class CatalogueError(ValueError):
    """A catalogue file is malformed; the message names the file and the rule."""


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """A phrase (matched case-insensitively on word boundaries) or ``re:<regex>``."""
    if phrase.startswith("re:"):
        return re.compile(phrase[3:], re.IGNORECASE)
    body = re.escape(phrase.strip()).replace(r"\ ", r"\s+")
    left = r"\b" if phrase[:1].isalnum() else ""
    right = r"\b" if phrase[-1:].isalnum() else ""
    return re.compile(left + body + right, re.IGNORECASE)


def compile_all(phrases: list[str]) -> re.Pattern[str] | None:
    """One alternation of many phrases (None when there are none)."""
    if not phrases:
        return None
    return re.compile("|".join(f"(?:{compile_phrase(p).pattern})" for p in phrases), re.IGNORECASE)


class Rule(BaseModel):
    """One rule of the catalogue."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    kind: RuleKind
    severity: Severity
    scope: list[str] = Field(default_factory=list, description="Sections/fields the rule reads.")
    message: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)
    section: str = Field("", description="Where a `required` rule reports an absence.")
    absent: str = Field("", description="Evidence text for a `required` rule when nothing counts.")
    patterns: list[str] = Field(default_factory=list)
    also: list[list[str]] = Field(default_factory=list, description="cooccurrence: every group must match too.")
    exceptions: list[str] = Field(default_factory=list, description="A unit matching any of these is skipped.")
    swap: dict[str, str] = Field(default_factory=dict, description="substitution: phrase -> replacement.")
    measure: Measure | None = None
    max: int | None = Field(None, ge=1)
    requires_all: list[TestName] = Field(default_factory=list)
    requires_any: list[TestName] = Field(default_factory=list)
    applies_if: list[str] = Field(default_factory=list, description="required: only when the SOP mentions one.")
    applies_to: Literal["all", "ai"] = Field("all", description="ai: only when the SOP involves an AI or automated tool.")

    @model_validator(mode="after")
    def _check_kind_fields(self) -> "Rule":
        unknown = [s for s in self.scope if s not in known_scopes()]
        if unknown:
            raise ValueError(f"unknown scope {unknown}; use a section key such as 'steps' or a field 'steps.action'")
        needs = {
            "existence": bool(self.patterns),
            "cooccurrence": bool(self.patterns and self.also),
            "substitution": bool(self.swap),
            "occurrence": self.measure is not None and self.max is not None,
            "required": bool(self.scope and self.section and (self.requires_all or self.requires_any)),
        }
        if not needs.get(self.kind, True):
            raise ValueError(f"kind '{self.kind}' is missing its fields (see the catalogue format in README)")
        check_phrases([*self.patterns, *self.exceptions, *self.applies_if, *self.swap, *sum(self.also, [])])
        return self


def check_phrases(phrases: list[str], where: str = "") -> None:
    """Raise ``ValueError`` naming the first phrase that is not a valid pattern."""
    for phrase in phrases:
        try:
            compile_phrase(phrase)
        except re.error as exc:
            raise ValueError(f"{where}bad pattern {phrase!r}: {exc}") from exc


class RuleOverride(BaseModel):
    """Phrase lists a team appends to an existing rule."""

    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(default_factory=list)
    exceptions: list[str] = Field(default_factory=list)
    swap: dict[str, str] = Field(default_factory=dict)


class CatalogueFile(BaseModel):
    """The shape of a catalogue YAML file (core or team)."""

    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)
    vocab: dict[str, list[str]] = Field(default_factory=dict)
    disable: list[str] = Field(default_factory=list)
    severity: dict[str, Severity] = Field(default_factory=dict)
    extend: dict[str, RuleOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_vocab(self) -> "CatalogueFile":
        for name, phrases in self.vocab.items():
            check_phrases(phrases, where=f"vocab '{name}': ")
        return self


class Catalogue(BaseModel):
    """The effective rules and vocabulary, with compiled patterns cached."""

    model_config = ConfigDict(extra="forbid")

    rules: list[Rule]
    vocab: dict[str, list[str]]
    _compiled: dict[tuple[str, str], re.Pattern[str] | None] = PrivateAttr(default_factory=dict)

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the active rules, in catalogue order."""
        return [r.id for r in self.rules]

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError if absent or disabled)."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def pattern(self, owner: str, name: str, phrases: list[str]) -> re.Pattern[str] | None:
        """The compiled alternation of ``phrases``, cached under ``(owner, name)``."""
        key = (owner, name)
        if key not in self._compiled:
            self._compiled[key] = compile_all(phrases)
        return self._compiled[key]

    def vocab_pattern(self, name: str) -> re.Pattern[str] | None:
        """The compiled alternation of one vocabulary list."""
        return self.pattern("vocab", name, self.vocab.get(name, []))


def _read(path: Path) -> CatalogueFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read rules file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping with 'rules', 'vocab', 'disable', 'severity', 'extend'")
    try:
        return CatalogueFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogueError(_describe(path, data, exc)) from exc


def _describe(path: Path, data: dict, exc: ValidationError) -> str:
    """Name the file, the rule (by id where possible) and the reason of the first errors."""
    lines = []
    for err in exc.errors()[:5]:
        loc = err["loc"]
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            raw = (data.get("rules") or [])[loc[1]]
            rule_id = raw.get("id", f"#{loc[1] + 1}") if isinstance(raw, dict) else f"#{loc[1] + 1}"
            where = f"rule '{rule_id}'" + (f" field '{'.'.join(map(str, loc[2:]))}'" if len(loc) > 2 else "")
        lines.append(f"{where}: {err['msg']}")
    return f"{path}: invalid rules file: " + "; ".join(lines)


def _merge(core: CatalogueFile, team: CatalogueFile, path: Path) -> Catalogue:
    rules = {r.id: r for r in core.rules}
    for rule in team.rules:
        if rule.id in rules:
            raise CatalogueError(f"{path}: rule '{rule.id}' already exists; use 'extend', 'severity' or 'disable'")
        rules[rule.id] = rule
    for where, ids in (("disable", team.disable), ("severity", team.severity), ("extend", team.extend)):
        for rule_id in ids:
            if rule_id not in rules:
                raise CatalogueError(f"{path}: {where}: no rule '{rule_id}' in the catalogue")
    for rule_id, level in team.severity.items():
        rules[rule_id] = rules[rule_id].model_copy(update={"severity": level})
    for rule_id, ext in team.extend.items():
        r = rules[rule_id]
        rules[rule_id] = r.model_copy(update={
            "patterns": r.patterns + ext.patterns,
            "exceptions": r.exceptions + ext.exceptions,
            "swap": {**r.swap, **ext.swap},
        })
    vocab = {k: list(v) for k, v in core.vocab.items()}
    for name, phrases in team.vocab.items():
        vocab[name] = vocab.get(name, []) + phrases
    active = [r for rid, r in rules.items() if rid not in set(team.disable)]
    return Catalogue(rules=active, vocab=vocab)


def load_catalogue(team_rules: Path | None = None) -> Catalogue:
    """The core catalogue, with the team file's additions and overrides applied."""
    core = _read(CORE_RULES_PATH)
    team = _read(Path(team_rules)) if team_rules else CatalogueFile()
    return _merge(core, team, Path(team_rules) if team_rules else CORE_RULES_PATH)
