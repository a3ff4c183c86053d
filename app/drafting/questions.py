"""Drafting by questions: one short question per template field over the same sources.

The model reads the task's documents once (the local server keeps that prompt prefix in its
cache, so each further question costs only its own few tokens) and answers each question
with one item per line, in the item's line format (``role | what it does``). A small model
does one narrow thing at a time well; it files statements under the wrong section when
asked for many at once. Answers are parsed into template items here, and matched back to the
sentences they came from by :mod:`app.drafting.align`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

from app.models import LIST_SECTIONS, SECTION_PARTS, Cited, Role, Statement, Step, item_fields
from app.prompts import load_prompt_data, render_prompt

TOKENS_PER_ITEM = 60
MIN_TOKENS = 48
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)]|[a-z][.)])\s+")
# A line that says the sources have no answer: "none", "Not specified.", "There is no trigger
# stated.", "The SOURCES do not mention a review cadence."
_NONE = re.compile(r"^\W*(?:none|n/?a|nothing|not (?:stated|specified|mentioned|given|applicable)\b.*"
                   r"|(?:there (?:is|are) )?no\b[^.]{0,60}\b(?:stated|mentioned|specified|given|found|provided)\b.*"
                   r"|(?:the )?(?:sources?|notes?|documents?|text)\b[^.]{0,20}\b(?:do|does) not\b.*)\W*$",
                   re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*|__|`")
_FIELD_SPLIT = re.compile(r"\s*\|\s*")


class Question(BaseModel):
    """One question of the drafting plan (``prompts/questions.yaml``)."""

    field: str
    ask: str
    format: str = ""
    max_items: int
    needs: str = ""
    cue: str = ""

    def has_evidence(self, sentences: list[str]) -> bool:
        """Whether some source sentence has the words this field needs (always, without ``needs``)."""
        if not self.needs:
            return True
        pattern = re.compile(self.needs, re.IGNORECASE)
        return any(pattern.search(s) for s in sentences)

    @property
    def section(self) -> str:
        """The top-level template section this field belongs to."""
        return self.field.split(".")[0]

    @property
    def part(self) -> str:
        """The part of a composite section (``covered`` of ``scope.covered``), or ``""``."""
        return self.field.partition(".")[2]

    @property
    def item_type(self) -> type[Cited] | None:
        """The item type of the field's list, or None for a plain text field."""
        if self.part:
            return SECTION_PARTS[self.section][self.part]
        return LIST_SECTIONS[self.section]

    @property
    def max_tokens(self) -> int:
        """The reply's token budget."""
        return max(MIN_TOKENS, self.max_items * TOKENS_PER_ITEM)


@lru_cache(maxsize=1)
def load_questions() -> tuple[Question, ...]:
    """The questions from ``prompts/questions.yaml``, checked against the template."""
    questions = tuple(Question(**q) for q in load_prompt_data("questions.yaml")["questions"])
    for q in questions:
        valid = q.section in LIST_SECTIONS if not q.part else q.part in SECTION_PARTS.get(q.section, {})
        if not valid:
            raise ValueError(f"questions.yaml: {q.field!r} is not a template field")
        item = q.item_type
        if item is not None and item is not Statement and len(q.format.split("|")) > len(item_fields(item)):
            raise ValueError(f"questions.yaml: {q.field!r} has more format fields than {item.__name__}")
    return questions


@lru_cache(maxsize=1)
def exclusive_groups() -> tuple[tuple[str, ...], ...]:
    """Groups of fields that never share a source sentence (``exclusive`` in questions.yaml)."""
    fields = {q.field for q in load_questions()}
    groups = tuple(tuple(g) for g in load_prompt_data("questions.yaml").get("exclusive") or [])
    unknown = {f for g in groups for f in g} - fields
    if unknown:
        raise ValueError(f"questions.yaml: exclusive names fields that are not asked: {sorted(unknown)}")
    return groups


def prefix_messages(task: str, documents: dict[str, str]) -> list[BaseMessage]:
    """The part of every question's prompt that stays the same: rules, task and sources (fenced)."""
    from app.injection import fence

    fenced = [fence(text, name) for name, text in documents.items()]
    return [SystemMessage(render_prompt("question_system.md")),
            HumanMessage(render_prompt("question_sources.md", task=task, documents=fenced))]


def question_messages(prefix: list[BaseMessage], question: Question) -> list[BaseMessage]:
    """The prompt of one question: the shared prefix, then the question in the same user turn,
    so the cached prefix tokens are exactly those of the previous question."""
    *head, sources = prefix
    ask = render_prompt("question.md", ask=question.ask, format=question.format)
    return [*head, HumanMessage(f"{sources.content}\n{ask}")]


def reply_lines(reply: str) -> list[str]:
    """The item lines of a reply: bullets, numbers and emphasis stripped; "none" answers and
    lead-in lines ("Roles:") dropped."""
    lines = []
    for raw in reply.splitlines():
        line = _EMPHASIS.sub("", _BULLET.sub("", raw)).strip().strip('"').strip()
        if line and not _NONE.match(line) and not line.endswith(":"):
            lines.append(line)
    return lines


# The field a line without separators fills (the first field for every other item type).
_LONE_FIELD: dict[type[Cited], str] = {Step: "action"}


def _limit(cls: type[Cited], name: str) -> int | None:
    return next((m.max_length for m in cls.model_fields[name].metadata if hasattr(m, "max_length")), None)


def _fields(cls: type[Cited], line: str) -> dict[str, str]:
    """The fields of one item line: ``a | b | c``, or ``a: b`` when the model forgot the pipe."""
    names = item_fields(cls)
    parts = _FIELD_SPLIT.split(line) if "|" in line else [line]
    if len(parts) == 1 and len(names) > 1 and ": " in line:
        parts = line.split(": ", 1)
    if len(parts) > len(names):
        parts = parts[: len(names) - 1] + [" | ".join(parts[len(names) - 1:])]
    if len(parts) == 1:
        return {_LONE_FIELD.get(cls, names[0]): line}
    values = {}
    for name, part in zip(names, parts):
        value = part.strip() if name == "text" else part.strip(" .;,")
        limit = _limit(cls, name)
        values[name] = value[:limit] if limit else value
    return values


def parse_items(question: Question, reply: str) -> list[Cited]:
    """The items of a reply to ``question`` (uncited), at most ``max_items``; a line whose
    main field is empty, or that the template refuses, is skipped."""
    cls = question.item_type or Statement
    main = _LONE_FIELD.get(cls, item_fields(cls)[0])
    items: list[Cited] = []
    for line in reply_lines(reply):
        values = _fields(cls, line)
        if not values.get(main) or (cls is Role and not values.get("responsibility")):
            continue
        limit = _limit(cls, main)
        values[main] = values[main][:limit] if limit else values[main]
        try:
            items.append(cls.model_validate({**{n: "" for n in item_fields(cls)}, **values}))
        except ValidationError:
            continue
        if len(items) == question.max_items:
            break
    return items


def scalar_value(reply: str, limit: int = 120) -> str:
    """A plain text field's value (the review cadence): the reply's first line, shortened."""
    lines = reply_lines(reply)
    return lines[0][:limit].rstrip(" .;,") if lines else ""
