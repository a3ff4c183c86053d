"""The data boundary: find personal data and secrets, and mask them before text leaves.

:func:`detect` finds e-mail addresses, phone numbers, payment cards, bank accounts/IBANs,
national identifiers, personal names and secrets. Numbers are validated (phonenumbers,
Luhn, mod-97, SSN ranges, NHS mod-11) so that the dates, versions, amounts and section
numbers that fill SOP text are not masked. :func:`apply_policy` applies the configured
policy (``redact``, ``block`` or ``allow``) to every text of one LLM call.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Literal

from pydantic import BaseModel

from app.models import Redaction
from app.settings import DataPolicy, Settings

Kind = Literal["email", "phone", "card", "iban", "national_id", "name", "secret"]

# When two detections overlap, the more specific kind wins (lower number).
_PRIORITY: dict[str, int] = {
    "secret": 0, "card": 1, "iban": 2, "national_id": 3, "email": 4, "phone": 5, "name": 6,
}

# National formats tried for numbers written without a country code; "+44 …" works anywhere.
PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "NL", "IE", "AU", "IN")


class Detection(BaseModel):
    """One piece of personal data or secret found in a text (``text[start:end]``)."""

    kind: Kind
    start: int
    end: int
    text: str


# --- e-mail, URLs -----------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
# Generous on purpose (URLs may hold parentheses): it only stops numbers in links being read as phones.
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"\]]+", re.IGNORECASE)


def _emails(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _EMAIL.finditer(text):
        yield "email", m.start(), m.end()


def _url_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _URL.finditer(text)]


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


# --- phone numbers ----------------------------------------------------------------------

_PHONE_HINT = re.compile(r"\d[\d ().-]{5,}\d")
_PHONE_CONTEXT = re.compile(r"(?i)\b(?:tel|phone|call|mobile|cell|fax|ph|contact|whatsapp|sms)\b[^\n]{0,20}$")


def _phones(text: str, urls: list[tuple[int, int]]) -> Iterator[tuple[str, int, int]]:
    import phonenumbers  # lazily: loads its metadata tables

    for offset, window in _digit_run_windows(text, urls):
        for region in PHONE_REGIONS:
            for m in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID):
                start, end = offset + m.start, offset + m.end
                # A bare digit run (no +, spaces or dashes) is far more often an id than a phone.
                if m.raw_string.isdigit() and not _PHONE_CONTEXT.search(text[max(0, start - 30):start]):
                    continue
                yield "phone", start, end


def _digit_run_windows(text: str, urls: list[tuple[int, int]]) -> Iterator[tuple[int, str]]:
    """Short windows around digit runs outside URLs: all the (slow) phone matcher needs to see."""
    margin = 6  # room for "+", "(" and the characters that show where a number ends
    spans = [
        (max(0, m.start() - margin), m.end() + margin)
        for m in _PHONE_HINT.finditer(text)
        if not _inside(urls, m.start(), m.end())
    ]
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in merged:
        yield start, text[start:end]


# --- payment cards, bank accounts -------------------------------------------------------

_CARD = re.compile(r"(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w-]|[.,]\d)")
# Issuer prefixes of the major networks (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay).
_CARD_IIN = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|6011|64[4-9]|65|35|30[0-5]|36|38|62)")

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,8}\b")
_ACCOUNT = re.compile(
    r"(?i:\b(?:account|acct|a/c)\.?\s*(?:no\.?|number|num|#)?|\bsort\s*code|\brouting\s*(?:no\.?|number)?)"
    r"\s*[:#]?\s*(\d(?:[ -]?\d){5,16})(?![\w-])"
)


def _cards(text: str, urls: list[tuple[int, int]]) -> Iterator[tuple[str, int, int]]:
    from stdnum import luhn

    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _CARD_IIN.match(digits) and luhn.is_valid(digits):
            if not _inside(urls, m.start(), m.end()):
                yield "card", m.start(), m.end()


def _ibans(text: str) -> Iterator[tuple[str, int, int]]:
    from stdnum import iban

    for m in _IBAN.finditer(text):
        # The pattern may run into a following word ("… 32 AND"): keep the longest valid prefix.
        groups = list(re.finditer(r"\S+", m.group()))
        for n in range(len(groups), 0, -1):
            end = groups[n - 1].end()
            if iban.is_valid(m.group()[:end]):
                yield "iban", m.start(), m.start() + end
                break
    for m in _ACCOUNT.finditer(text):
        yield "iban", m.start(1), m.end(1)


# --- national identifiers ---------------------------------------------------------------

_SSN = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
_SSN_LABELLED = re.compile(r"(?i:\bSSN|\bsocial security (?:no\.?|number))\s*[:#]?\s*(\d{9})\b")
# UK National Insurance number: the first letter is never D, F, I, Q, U or V, the second never
# D, F, I, O, Q, U or V, and a few prefixes are never issued.
_NINO = re.compile(r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
_NHS = re.compile(r"(?i:\bNHS\b[^\n\d]{0,20})(\d{3}[ -]?\d{3}[ -]?\d{4})\b")


def _national_ids(text: str) -> Iterator[tuple[str, int, int]]:
    from stdnum.gb import nhs
    from stdnum.us import ssn

    for m in _SSN.finditer(text):
        if ssn.is_valid(m.group().replace(" ", "-")):
            yield "national_id", m.start(), m.end()
    for m in _SSN_LABELLED.finditer(text):
        if ssn.is_valid(m.group(1)):
            yield "national_id", m.start(1), m.end(1)
    for m in _NINO.finditer(text):
        yield "national_id", m.start(), m.end()
    for m in _NHS.finditer(text):
        if nhs.is_valid(m.group(1)):
            yield "national_id", m.start(1), m.end(1)


# --- secrets ----------------------------------------------------------------------------

_SECRET_TOKENS = re.compile(
    r"""(?x)
      (?=[sAgxhre])                                      # cheap first-character filter
      (?:\bsk-ant-[A-Za-z0-9_-]{20,}                       # Anthropic
    | \bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}  # OpenAI
    | \b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b           # AWS access key id
    | \bgh[pousr]_[A-Za-z0-9]{36,255}\b                 # GitHub tokens
    | \bgithub_pat_[A-Za-z0-9_]{22,255}\b               # GitHub fine-grained token
    | \bxox[abposr]-[A-Za-z0-9-]{10,}                   # Slack tokens
    | https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+  # Slack webhook
    | \bAIza[0-9A-Za-z_-]{35}                            # Google API key
    | \b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}             # Stripe
    | \beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})  # JSON web token
    """
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
_KEYED_SECRET = re.compile(
    r"""(?ix)\b(?:api[_-]?key|apikey|access[_-]?key|secret[_-]?key|client[_-]?secret|secret|
         (?:access|auth|api|bearer|refresh|session)[_-]?token|token|bearer|aws_secret_access_key)
        ["']?\s*(?:[:=]|=>)\s*["']?(?:bearer\s+)?([A-Za-z0-9_\-./+=~]{16,})"""
)
_BEARER = re.compile(r"(?i)\bauthorization\s*:\s*(?:bearer|basic|token)\s+([A-Za-z0-9_\-./+=~]{12,})")
_PASSWORD = re.compile(
    r"""(?i)\b(?:password|passwd|passphrase|passcode|pwd|pass)\b["']?\s*(?:[:=]|=>|\bis\b)\s*["']?([^\s"',;]{4,})"""
)
_URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@", re.IGNORECASE)


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def _looks_random(value: str) -> bool:
    """A token with letters and digits and enough entropy to be a key, not a word or a path."""
    has_mix = bool(re.search(r"\d", value)) and bool(re.search(r"[A-Za-z]", value))
    return has_mix and _entropy(value) >= 3.0


def _looks_like_password(value: str) -> bool:
    """Passwords mix character classes; prose after "password:" is usually plain words."""
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return classes >= 2 and not re.fullmatch(r"[A-Z][a-z]+[.:]?", value)


def _secrets(text: str) -> Iterator[tuple[str, int, int]]:
    for pattern in (_SECRET_TOKENS, _PRIVATE_KEY):
        for m in pattern.finditer(text):
            yield "secret", m.start(), m.end()
    for m in _KEYED_SECRET.finditer(text):
        if _looks_random(m.group(1)):
            yield "secret", m.start(1), m.end(1)
    for pattern in (_BEARER, _URL_CREDENTIALS):
        for m in pattern.finditer(text):
            yield "secret", m.start(1), m.end(1)
    for m in _PASSWORD.finditer(text):
        if _looks_like_password(m.group(1)):
            yield "secret", m.start(1), m.end(1)


# --- names ------------------------------------------------------------------------------

_UPPER, _LOWER = "A-ZÀ-ÖØ-ÞĀ-ſ", "a-zß-öø-ÿĀ-ſ"  # Latin letters, with accents
# "Jane", "McDonald", "Smith-Jones", "O'Brien"
_WORD = rf"[{_UPPER}](?:[{_LOWER}]+(?:[{_UPPER}][{_LOWER}]+)?(?:[-'’][{_UPPER}]?[{_LOWER}]+)?|['’][{_UPPER}][{_LOWER}]+)"
_HONORIFIC = re.compile(rf"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.? ((?:{_WORD} ){{0,2}}{_WORD})\b")
_LABELLED_NAME = re.compile(
    r"(?i:\b(?:name|full name|owner|contact|approver|author|employee|signed|prepared by|approved by|reviewed by|"
    r"requested by|submitted by|assigned to|written by|from|cc)\s*:[ \t]*)"
    rf"({_WORD}(?: (?:[A-Z]\.|{_WORD})){{1,2}})\b"
)
_SIGNATURE = re.compile(
    r"(?m)^[ \t]*(?i:(?:best|kind|warm)?[ \t]*regards|thanks|thank you|sincerely|cheers|best wishes|--)[ \t]*,?[ \t]*\n"
    rf"[ \t]*({_WORD}(?: (?:[A-Z]\.|{_WORD})){{0,2}})[ \t]*$"
)
_FULL_NAME = re.compile(rf"\b{_WORD}(?: {_WORD}){{1,2}}\b")
_ATTENDEES = re.compile(r"(?im)^[ \t]*(?:present|attendees|participants|invitees|attendance)[ \t]*:[ \t]*([^\n]+)$")
# Capitalised words that are roles, teams or products rather than people.
_NOT_NAME_WORDS = frozenset(
    """manager officer director lead head chief team operations department office services service
    administration admin support desk unit group committee board staff owner organiser organizer
    coordinator analyst engineer specialist assistant agent administrator supervisor
    executive president secretary counsel legal finance hr human resources security privacy compliance
    it travel program project product procurement payroll benefits customer client user users vendor
    general senior junior deputy acting principal associate regional national federal global
    microsoft google slack zoom teams copilot chatgpt openai anthropic claude gemini jira confluence
    excel word outlook sharepoint drive github gitlab salesforce concur notion workday the all none
    """.split()
)


def _is_person_name(name: str) -> bool:
    return not any(w.lower().strip(".") in _NOT_NAME_WORDS for w in name.split())


def _cued_names(text: str) -> Iterator[tuple[int, int]]:
    """Spans of names that a cue marks as a person: honorific, label, sign-off or attendee list."""
    for pattern in (_HONORIFIC, _LABELLED_NAME, _SIGNATURE):
        for m in pattern.finditer(text):
            if _is_person_name(m.group(1)):
                yield m.start(1), m.end(1)
    for m in _ATTENDEES.finditer(text):
        for name in _FULL_NAME.finditer(m.group(1)):
            if _is_person_name(name.group()):
                yield m.start(1) + name.start(), m.start(1) + name.end()


def full_names(text: str, spans: Sequence[tuple[int, int]] | None = None) -> list[str]:
    """The multi-word person names that a cue reveals in ``text`` (to mask them everywhere)."""
    spans = _cued_names(text) if spans is None else spans
    return sorted({" ".join(text[s:e].split()) for s, e in spans if " " in text[s:e].strip()})


def _names(text: str, known_names: Sequence[str]) -> Iterator[tuple[str, int, int]]:
    cued = list(_cued_names(text))
    for start, end in cued:
        yield "name", start, end
    # A person named once with a cue ("Owner: Dana Reyes") is masked wherever else they appear.
    for known in (*known_names, *full_names(text, cued)):
        words = known.split()
        if words:
            pattern = r"\b" + r"\s+".join(map(re.escape, words)) + r"\b"
            for m in re.finditer(pattern, text, re.IGNORECASE):
                yield "name", m.start(), m.end()


# --- detection --------------------------------------------------------------------------


def detect(text: str, *, known_names: Sequence[str] = ()) -> list[Detection]:
    """All personal data and secrets in ``text``: non-overlapping, sorted by position.

    ``known_names`` are people's names to mask wherever they appear (e.g. the SOP owner).
    """
    urls = _url_spans(text)
    candidates = [
        *_secrets(text), *_cards(text, urls), *_ibans(text), *_national_ids(text),
        *_emails(text), *_phones(text, urls), *_names(text, known_names),
    ]
    candidates.sort(key=lambda c: (_PRIORITY[c[0]], -(c[2] - c[1]), c[1]))
    taken: list[tuple[str, int, int]] = []
    for kind, start, end in candidates:
        if end > start and all(end <= s or start >= e for _, s, e in taken):
            taken.append((kind, start, end))
    taken.sort(key=lambda c: c[1])
    return [Detection(kind=k, start=s, end=e, text=text[s:e]) for k, s, e in taken]


# --- redaction --------------------------------------------------------------------------


class RedactionCounter:
    """Placeholders for one LLM call: the same value always gets the same placeholder."""

    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counts: Counter[str] = Counter()

    @staticmethod
    def _normalise(kind: str, value: str) -> str:
        if kind in ("phone", "card", "iban", "national_id"):
            return re.sub(r"[^0-9A-Za-z]", "", value).upper()
        return " ".join(value.split()).casefold()

    def placeholder(self, kind: str, value: str) -> str:
        """The placeholder for ``value`` of ``kind``, e.g. ``[EMAIL_1]``."""
        key = (kind, self._normalise(kind, value))
        if key not in self._by_value:
            self._counts[kind] += 1
            placeholder = f"[{kind.upper()}_{self._counts[kind]}]"
            self._by_value[key] = placeholder
            self._originals[placeholder] = value
        return self._by_value[key]

    def restore(self, text: str) -> str:
        """Put the original values back into model output that repeats the placeholders."""
        if not self._originals:
            return text
        pattern = "|".join(re.escape(p) for p in self._originals)
        return re.sub(pattern, lambda m: self._originals[m.group()], text)


class RedactionResult(BaseModel):
    """A masked text and what was masked in it."""

    text: str
    redactions: list[Redaction]


def redact(
    text: str,
    *,
    known_names: Sequence[str] = (),
    chunk_id: str = "",
    counter: RedactionCounter | None = None,
) -> RedactionResult:
    """Replace every detection in ``text`` with a stable placeholder such as ``[EMAIL_1]``.

    Share one ``counter`` across all texts of one LLM call so that a value repeated in two
    chunks gets the same placeholder in both.
    """
    counter = counter if counter is not None else RedactionCounter()
    parts: list[str] = []
    redactions: list[Redaction] = []
    pos = 0
    for d in detect(text, known_names=known_names):
        placeholder = counter.placeholder(d.kind, d.text)
        parts += [text[pos:d.start], placeholder]
        redactions.append(Redaction(kind=d.kind, placeholder=placeholder, chunk_id=chunk_id))
        pos = d.end
    parts.append(text[pos:])
    return RedactionResult(text="".join(parts), redactions=redactions)


# --- policy -----------------------------------------------------------------------------


class DataBlockedError(Exception):
    """Confidential data was found and the policy is ``block``; names kinds and chunks, never values."""

    def __init__(self, message: str = "", *, kinds: Sequence[str] = (), chunk_ids: Sequence[str] = ()) -> None:
        self.kinds = sorted(set(kinds))
        self.chunk_ids = sorted(set(chunk_ids))
        super().__init__(
            message
            or f"blocked by data policy: found {', '.join(self.kinds)} in {', '.join(self.chunk_ids)}; "
            "remove it from the sources or change the privacy policy"
        )


def apply_policy(
    texts: dict[str, str],
    policy: DataPolicy,
    *,
    known_names: Sequence[str] = (),
    counter: RedactionCounter | None = None,
) -> tuple[dict[str, str], list[Redaction]]:
    """Apply ``policy`` to the texts of one LLM call (``chunk_id`` or ``"task"``/``"prompt"`` -> text).

    ``redact`` returns masked texts and what was masked (pass ``counter`` to restore the
    model's output later); ``block`` raises :class:`DataBlockedError` if anything is found;
    ``allow`` returns the texts unchanged.
    """
    if policy == "allow":
        return dict(texts), []
    if policy == "block":
        names = [*known_names, *(name for text in texts.values() for name in full_names(text))]
        found = {key: detect(text, known_names=names) for key, text in texts.items()}
        hits = {key: d for key, d in found.items() if d}
        if hits:
            raise DataBlockedError(kinds=[x.kind for d in hits.values() for x in d], chunk_ids=list(hits))
        return dict(texts), []
    if policy != "redact":
        raise ValueError(f"unknown data policy {policy!r}; expected redact, block or allow")
    counter = counter if counter is not None else RedactionCounter()
    # A name revealed in one text (an owner line) is masked in every other text of the call.
    names = [*known_names, *(name for text in texts.values() for name in full_names(text))]
    masked: dict[str, str] = {}
    redactions: list[Redaction] = []
    for key, text in texts.items():
        result = redact(text, known_names=names, chunk_id=key, counter=counter)
        masked[key] = result.text
        redactions += result.redactions
    return masked, redactions


def policy_for(settings: Settings, provider: str) -> DataPolicy:
    """The data policy for calls to ``provider``: local providers never leave the machine."""
    if settings.llm.stays_on_machine(provider):
        return settings.privacy.local_policy
    return settings.privacy.remote_policy
