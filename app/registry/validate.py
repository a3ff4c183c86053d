"""The store's gate: a draft is written only if it reads back as a valid :class:`Draft`.

Versions are immutable, so a value over a template bound that slipped past an unchecked
assignment (``model_copy(update=...)``, ``model_construct``) would make the draft unreadable
for good; checking the exact JSON that is stored refuses it with a message instead.
"""

from __future__ import annotations

from pydantic import ValidationError

from app.models import Draft
from app.registry.errors import InvalidDraftError


def describe(exc: ValidationError, limit: int = 3) -> str:
    """The first ``limit`` problems of ``exc`` as ``field: message`` phrases."""
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors()[:limit]]
    more = exc.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def check_storable(draft_id: str, draft_json: str) -> None:
    """Raise :class:`InvalidDraftError` unless ``draft_json`` is a valid draft."""
    try:
        Draft.model_validate_json(draft_json)
    except ValidationError as exc:
        raise InvalidDraftError(f"draft {draft_id} was not saved: {describe(exc)}") from None
