"""Ask the drafting questions one after another and build the SOP from the answers.

One call per question, in template order, each on the same prompt prefix (rules, task,
sources), so the local model evaluates the sources once and every further question costs
only its own tokens. Calls run one at a time on purpose: a second server slot would evaluate
the whole prefix again, and it stalls the slot that is generating meanwhile. Each section is
reported as soon as its last question is answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from app.calllog import safe_error
from app.critique.items import sentence_actor
from app.critique.layout import load_layout
from app.drafting.align import Match, SentenceMatcher
from app.drafting.documents import TaskSources
from app.drafting.questions import Question, parse_items, prefix_messages, question_messages, scalar_value
from app.drafting.route import Claim, contested
from app.drafting.verify import content_words
from app.llm import ProviderError
from app.models import SECTION_PARTS, SECTION_TITLES, SOP, Cited, Flag, Maintenance, Redaction, Step
from app.privacy import DataBlockedError

if TYPE_CHECKING:
    from app.llm import LLMClient
    from app.privacy import RedactionCounter

# An answer line is kept when its source sentences hold at least half its content words (two
# at least, or all of them), or a third of them and it is close in meaning, or it is very close
# in meaning (a paraphrase); anything else the model wrote, not the sources.
LEXICAL_MIN = 0.5
LEXICAL_WITH_MEANING = 0.34
MEANING_WITH_WORDS = 0.55
MEANING_ALONE = 0.65


@dataclass
class Answers:
    """What the questions gave: the SOP so far, flags, and the source sentence of every item."""

    sop: SOP
    flags: list[Flag] = field(default_factory=list)
    claims: list[tuple[Claim, Cited | None]] = field(default_factory=list)  # None: a plain text field
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    unasked: list[str] = field(default_factory=list)  # fields no source sentence has the words for


def _unsaid(match: Match) -> bool:
    """Whether no source sentence says what the item says (see the thresholds above)."""
    meaning = match.semantic if match.semantic is not None else 0.0
    by_words = match.lexical >= LEXICAL_MIN and (match.found >= 2 or match.lexical == 1.0)
    return not (by_words or meaning >= MEANING_ALONE
                or (match.lexical >= LEXICAL_WITH_MEANING and meaning >= MEANING_WITH_WORDS))


def _left_out(section: str, text: str, message: str, suggestion: str) -> Flag:
    return Flag(rule="left-out", severity="info", section=section, message=message, evidence=text[:300],
                suggestion=suggestion)


def _rejection(question: Question, text: str, match: Match | None) -> Flag | None:
    """Why an answer line is left out: no source sentence says it, or its sentence lacks the
    field's own words (a trigger given as an escalation); None when it stays."""
    answered = f"The model answered \"{text[:160]}\" for {question.field.replace('_', ' ')}, but"
    if match is None or _unsaid(match):
        return _left_out(question.section, text, f"{answered} no source sentence says it, so it was left out.",
                         "If a source does say it, add it yourself with that citation.")
    if not question.has_evidence([match.lead, *match.sentences]):
        sentence = " ".join(match.sentences[0].split())[:160]
        return _left_out(question.section, text,
                         f"{answered} its source sentence (\"{sentence}\") says nothing about that, so it was left out.",
                         "If it does belong here, add it yourself with its citation.")
    return None


def _failed_flag(question: Question, reason: str) -> Flag:
    return Flag(rule="drafting-error", severity="warning", section=question.section,
                message=f"Asking for {question.field.replace('_', ' ')} failed, so it is left empty.",
                evidence=reason, suggestion="Regenerate the section, or write it yourself.")


def _cite(question: Question, items: list[Cited], matcher: SentenceMatcher, answers: Answers) -> list[Cited]:
    kept: list[Cited] = []
    seen: set[str] = set()
    for item, match in zip(items, matcher.match_all([i.as_text() for i in items])):
        key = " ".join(item.as_text().casefold().split())
        if key in seen:  # the model repeated a line
            continue
        seen.add(key)
        rejected = _rejection(question, item.as_text(), match)
        if rejected:
            answers.flags.append(rejected)
            continue
        item.citations = match.citations[:3]
        if isinstance(item, Step):
            item.actor = step_actor(item.actor, match.sentences, kept[-1].actor if kept else "")
        kept.append(item)
        answers.claims.append((Claim(question.field, match.primary), item))
    return kept


_DETERMINER = re.compile(r"^(?:the|a|an|each|every|one)\s+", re.IGNORECASE)


def step_actor(given: str, sentences: list[str], previous: str) -> str:
    """Who does a step: the model's actor when its source sentence names it, else the role that
    sentence names, else (a sentence in the imperative, in a list of steps) the previous step's.

    A small model tends to write one name (often the notes' owner) for every step.
    """
    said = " ".join(sentences)
    words = content_words(given)
    if words and len(words & content_words(said)) / len(words) >= 0.5:
        return given
    actor = sentence_actor(sentences[0], load_layout()) if sentences else None
    if actor:
        actor = _DETERMINER.sub("", actor)
        return actor[:1].upper() + actor[1:]
    return previous


def _apply(sop: SOP, question: Question, reply: str, matcher: SentenceMatcher, answers: Answers) -> None:
    """Put the answer to ``question`` into ``sop``."""
    if question.item_type is None:  # a plain text field of maintenance (the cadence, the feedback route)
        value = scalar_value(reply)
        if not value:
            return
        match = matcher.match(value)
        rejected = _rejection(question, value, match)
        if rejected:
            answers.flags.append(rejected)
            return
        setattr(sop.maintenance, question.part, value)
        sop.maintenance.citations = list(dict.fromkeys([*sop.maintenance.citations, *match.citations]))[:6]
        answers.claims.append((Claim(question.field, match.primary), None))
        return
    items = _cite(question, parse_items(question, reply), matcher, answers)
    if question.part:
        setattr(getattr(sop, question.section), question.part, items)
    else:
        setattr(sop, question.section, items)


def ask_questions(llm: "LLMClient", task: str, questions: list[Question], sources: TaskSources,
                  masked: dict[str, str], counter: "RedactionCounter", redactions: list[Redaction], sop: SOP,
                  matcher: SentenceMatcher, on_section: Callable[[str, SOP], None]) -> Answers:
    """Answer ``questions`` in order into ``sop``; ``on_section(section, sop)`` after each section.

    A question whose ``needs`` words occur in no source sentence is not asked (the sources
    cannot answer it, and asking invites a guess); it is listed in ``Answers.unasked``. A failed call leaves its field empty with a ``drafting-error`` warning and the rest goes
    on; a refused data policy or a misconfigured provider stops the whole draft.
    """
    answers = Answers(sop=sop)
    prefix = prefix_messages(masked["task"], sources.render(masked))
    chunk_ids = list(sources.chunks)
    said = [text for _, text in matcher.sentences]
    for n, question in enumerate(questions):
        if not question.has_evidence(said):
            answers.unasked.append(question.field)
        else:
            _ask(llm, prefix, question, chunk_ids, redactions, counter, matcher, answers)
        last_of_section = n + 1 == len(questions) or questions[n + 1].section != question.section
        if last_of_section:
            on_section(question.section, sop)
    return answers


def _ask(llm: "LLMClient", prefix: list, question: Question, chunk_ids: list[str], redactions: list[Redaction],
         counter: "RedactionCounter", matcher: SentenceMatcher, answers: Answers) -> None:
    """Ask one question and put its answer into ``answers.sop``."""
    try:
        reply = llm.text(question_messages(prefix, question), purpose=f"draft:{question.field}",
                         chunk_ids=chunk_ids, redactions=redactions, max_tokens=question.max_tokens,
                         max_lines=question.max_items)
        _apply(answers.sop, question, counter.restore(reply), matcher, answers)
        answers.answered += 1
    except (DataBlockedError, ProviderError):
        raise
    except Exception as exc:  # noqa: BLE001 - one failed call must not lose the other sections
        answers.failures.append(safe_error(exc))
        answers.flags.append(_failed_flag(question, answers.failures[-1]))


def _field_items(sop: SOP, fieldname: str) -> list[Cited]:
    section, _, part = fieldname.partition(".")
    return getattr(getattr(sop, section), part) if part else getattr(sop, section)


def settle(answers: Answers, groups: tuple[tuple[str, ...], ...], matcher: SentenceMatcher,
           questions: list[Question]) -> None:
    """Leave each source sentence in one field of every exclusive group (see :mod:`app.drafting.route`)."""
    sentences = [text for _, text in matcher.sentences]
    claims = [claim for claim, _ in answers.claims]
    losers = contested(claims, groups, sentences, questions)
    for claim, item in answers.claims:
        if claim not in losers:
            continue
        section, _, part = claim.field.partition(".")
        if item is None:
            text = getattr(answers.sop.maintenance, part)
            setattr(answers.sop.maintenance, part, "")
        else:
            text = item.as_text()
            items = _field_items(answers.sop, claim.field)
            items[:] = [i for i in items if i is not item]
        answers.flags.append(_left_out(
            section, text,
            f"\"{text[:160]}\" was given for {claim.field.replace('_', ' ')} and for "
            f"{losers[claim].replace('_', ' ')}; its source sentence belongs to the latter, so it was left out here.",
            "If it does belong here too, add it back yourself."))
    answers.claims = [(c, i) for c, i in answers.claims if c not in losers]


def cited_by_section(sop: SOP) -> dict[str, list[str]]:
    """Section -> the chunks its statements cite, in order of first citation."""
    out: dict[str, list[str]] = {}
    for path, item in sop.cited_items():
        section = path.split(".")[0]
        if section != "references":
            out.setdefault(section, [])
            out[section] += [c for c in item.citations if c not in out[section]]
    if sop.maintenance.citations:
        out.setdefault("maintenance", [])
        out["maintenance"] += [c for c in sop.maintenance.citations if c not in out["maintenance"]]
    return out


def empty_sections(sop: SOP, questions: list[Question]) -> list[str]:
    """Sections the questions asked about that ended up empty."""
    out = []
    for section in dict.fromkeys(q.section for q in questions):
        value: Any = getattr(sop, section)
        if isinstance(value, Maintenance):
            empty = not (value.review_cadence or value.feedback_route or value.off_cycle_triggers)
        elif section in SECTION_PARTS:
            empty = not any(getattr(value, part) for part in SECTION_PARTS[section])
        else:
            empty = not value
        if empty:
            out.append(section)
    return out


def no_answer_flags(sections: list[str], questions: list[Question]) -> list[Flag]:
    """A warning for each section the sources did not answer: it is left empty, never guessed."""
    asked = {}
    for q in questions:
        asked.setdefault(q.section, []).append(q.ask)
    return [Flag(rule="no-evidence", severity="warning", section=s,
                 message=f"The sources say nothing about {SECTION_TITLES[s].lower()}; the section was left empty.",
                 evidence="asked: " + " / ".join(asked[s])[:300],
                 suggestion="Add a source that covers it and regenerate the section, or write it yourself.")
            for s in sections]
