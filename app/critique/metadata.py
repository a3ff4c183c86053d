"""Turn metadata values written by people (front matter, tables, labels) into template fields."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%d/%m/%Y", "%d.%m.%Y", "%B %Y", "%b %Y")
STATUS_WORDS = {
    "draft": "draft", "in review": "in_review", "in_review": "in_review", "review": "in_review",
    "approved": "approved", "final": "approved", "published": "approved", "live": "approved", "active": "approved",
    "exported": "exported", "superseded": "superseded", "retired": "superseded", "archived": "superseded",
}
INTERVAL_MONTHS = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "biannually": 6, "semi-annually": 6,
                   "annually": 12, "yearly": 12, "annual": 12}
OWNER_WITH_ROLE = re.compile(r"^(?P<name>[^,(–—]+?)\s*(?:\((?P<role1>[^)]+)\)|[,–—]\s*(?P<role2>.+))$")


def parse_date(value: Any) -> date | None:
    """A date from YAML (already a date), ISO text, or a common written form; None if none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def parse_months(value: Any) -> int | None:
    """A review interval in months (1-60) from ``6``, ``"every 6 months"``, ``"annually"``..."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= 60 else None
    text = str(value or "").lower()
    match = re.search(r"(\d+)\s*(month|year)", text) or re.fullmatch(r"\s*(\d+)\s*", text)
    if match:
        n = int(match.group(1)) * (12 if match.lastindex == 2 and match.group(2) == "year" else 1)
        return n if 1 <= n <= 60 else None
    for word, months in INTERVAL_MONTHS.items():
        if word in text:
            return months
    return None


def parse_status(value: Any) -> str:
    """A workflow status from free text; unknown words read as ``draft``."""
    return STATUS_WORDS.get(str(value or "").strip().lower().replace("-", " "), "draft")


def split_owner(value: str) -> tuple[str, str]:
    """``"Dana Reyes (Operations Manager)"`` -> ``("Dana Reyes", "Operations Manager")``."""
    value = " ".join(str(value).split())
    match = OWNER_WITH_ROLE.match(value)
    if not match:
        return value, ""
    return match.group("name").strip(), (match.group("role1") or match.group("role2") or "").strip()
