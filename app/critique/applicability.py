"""Does the SOP involve an AI or automated tool? Decides whether the AI-specific rules apply.

Rules marked ``applies_to: ai`` in the catalogue (approved AI tool, data rules for what goes
into the tool, automation bias, sensitive data into a public tool) run only when it does.
Detection looks for AI terms and AI products in the text and returns the sentences that
show it; front matter (``ai: true/false``) or the caller (``--ai/--no-ai``) overrides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.critique.document import Document

AI_TERMS = re.compile(
    r"(?-i:\bAI\b|\bGenAI\b|\bLLMs?\b|\bGPT[\w.-]*|\bNLP\b|\bKI\b)"
    r"|\bartificial intelligence\b|\blarge language models?\b|\blanguage models?\b|\bgenerative\b|\bmachine learning\b"
    r"|\bchat ?bots?\b|\bcopilot\b|\bchatgpt\b|\bclaude\b|\bgemini\b|\bmistral\b|\bllama\b|\bdeepl\b|\bgrammarly\b"
    r"|\bai[- ](?:assisted|generated|drafted|powered|based|tool|assistant|model|summar\w*)"
    r"|\b(?:auto|machine)[- ]?(?:generated|drafted|translat\w*|transcri\w*|summar\w*|classif\w*|tagg\w*)"
    r"|\bautomated (?:summar\w*|draft\w*|transcri\w*|translat\w*|classif\w*|triage|screening|tagging|decision\w*)"
    r"|\b(?:speech|text)[- ]to[- ](?:text|speech)\b|\bhallucinat\w*"
    r"|\bgenerated (?:by|with|using) (?:the )?(?-i:[A-Z])\w*",
    re.IGNORECASE,
)
FRONT_KEYS = ("ai", "uses_ai", "ai_assisted", "applies_to_ai", "ai_tools")
TRUE_WORDS = {"true", "yes", "y", "1", "on"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "none"}
MAX_EVIDENCE = 2
# One passing mention ("algorithms (such as artificial intelligence) are suitable") is not use:
# AI counts when it is in the title, a tool, the procedure or the data rules, or said twice.
USE_SECTIONS = ("approved_tools", "steps", "data_rules", "human_review", "inputs", "trigger", "scope", "preamble", None)


@dataclass(frozen=True)
class Applicability:
    """Whether the AI-specific rules apply, why, and who decided (``detected``, ``front matter``, ``caller``)."""

    applies_to_ai: bool
    evidence: list[str] = field(default_factory=list)
    decided_by: str = "detected"


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None


def detect_ai(doc: Document, override: bool | None = None) -> Applicability:
    """Whether ``doc`` involves AI (``override`` from the caller wins, then front matter, then the text)."""
    if override is not None:
        return Applicability(override, [f"set by the caller ({'--ai' if override else '--no-ai'})"], "caller")
    for key in FRONT_KEYS:
        if key in doc.front and (value := _flag(doc.front[key])) is not None:
            return Applicability(value, [f"front matter {key}: {doc.front[key]}"], "front matter")
    strong = [doc.sop.title, *(t.name for t in doc.sop.approved_tools)]
    strong += [s.text for s in doc.sentences() if s.section in USE_SECTIONS]
    anywhere = [s.text for s in doc.sentences()]
    found_strong = [t for t in dict.fromkeys(strong) if AI_TERMS.search(t)]
    found = found_strong or [t for t in dict.fromkeys(anywhere) if AI_TERMS.search(t)]
    applies = bool(found_strong) or len(found) >= 2
    return Applicability(applies, [f'"{" ".join(t.split())[:160]}"' for t in found[:MAX_EVIDENCE]] if applies else [])
