"""Review cycle: SOPs due for review, and approved SOPs whose cited sources drifted."""

from __future__ import annotations

from datetime import date

from app.models import Flag
from app.registry.records import SYSTEM, Actor, DraftRecord, DriftItem, DueItem
from app.registry.store import Store

DRIFT_RULE = "source-drift"


def due(store: Store, today: date, within_days: int = 30) -> list[DueItem]:
    """SOPs in force whose review is overdue or due within ``within_days``, or brought forward by drift.

    Sorted most urgent first (drift and overdue before due).
    """
    items = []
    for record in store.current_records():
        approval = record.approval
        days_left = (approval.next_review_date - today).days
        drifted = bool(store.flags(record.draft_id, record.version, origin="drift"))
        if drifted:
            reason = "source-drift"
        elif days_left < 0:
            reason = "overdue"
        elif days_left <= within_days:
            reason = "due"
        else:
            continue
        items.append(DueItem(draft_id=record.draft_id, version=record.version, sop_id=approval.sop_id,
                             title=record.draft.sop.title, owner=approval.owner_name,
                             next_review_date=approval.next_review_date, days_left=days_left, reason=reason))
    return sorted(items, key=lambda i: (i.reason == "due", i.days_left))


def _drift_items(record: DraftRecord, source_hashes: dict[str, str]) -> list[DriftItem]:
    approval = record.approval
    items = []
    for source, approved_hash in sorted(approval.source_hashes.items()):
        current = source_hashes.get(source)
        if current == approved_hash:
            continue
        items.append(DriftItem(draft_id=record.draft_id, version=record.version, sop_id=approval.sop_id,
                               title=record.draft.sop.title, source=source, approved_hash=approved_hash,
                               current_hash=current, change="deleted" if current is None else "changed"))
    return items


def drift_flag(item: DriftItem) -> Flag:
    """The flag that asks for an early review because a cited source changed or was deleted."""
    verb = "was deleted" if item.change == "deleted" else "changed"
    return Flag(rule=DRIFT_RULE, severity="warning", section="references",
                message=f"cited source {item.source} {verb} since approval; review the SOP early",
                evidence=f"{item.source}@{item.current_hash or 'deleted'}",
                suggestion="Re-check the statements that cite this source and edit or re-approve the SOP.")


def check_drift(store: Store, source_hashes: dict[str, str], *, actor: Actor = SYSTEM) -> list[DriftItem]:
    """Compare the source hashes recorded at approval with ``source_hashes`` (source -> sha256).

    Returns every drifted source of every SOP in force. A drift seen for the first time is
    recorded once: a ``source-drift`` flag on the approved version and an audit entry.
    """
    items = []
    for record in store.current_records():
        found = _drift_items(record, source_hashes)
        known = {f.flag_id for f in store.flags(record.draft_id, record.version, origin="drift")}
        new = [i for i in found if drift_flag(i).flag_id not in known]
        if new:
            with store.transaction() as conn:
                for item in new:
                    store.add_flag(conn, record.draft_id, record.version, drift_flag(item), origin="drift",
                                   actor=actor, details=item.model_dump(mode="json"))
        items += found
    return items
