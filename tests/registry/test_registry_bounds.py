"""The store refuses a draft over a template bound, so no version is ever unreadable."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from registry_helpers import ANA, make_draft

from app.models import Reference
from app.registry.errors import InvalidDraftError
from app.registry.store import Store
from app.registry.workflow import edit


def test_a_title_edit_over_the_limit_is_refused_and_the_draft_stays_readable(store: Store, created) -> None:
    sop = created.draft.sop.model_copy(update={"title": "T" * 250})
    with pytest.raises(InvalidDraftError, match=r"not saved: sop\.title: String should have at most 200"):
        edit(store, created.draft_id, sop, actor=ANA, reason="longer title", expected_version=1)
    assert [v.version for v in store.history(created.draft_id)] == [1]
    assert store.get_draft(created.draft_id).draft.sop.title == created.draft.sop.title
    assert store.verify_audit().ok


def test_too_many_references_are_refused_before_anything_is_stored(store: Store) -> None:
    draft = make_draft()
    draft.sop.__dict__["references"] = [Reference(text=f"s{n}.md") for n in range(13)]  # as an unchecked copy would
    with pytest.raises(InvalidDraftError, match="sop.references: List should have at most 10 items"):
        store.create_draft(draft, actor=ANA)
    assert store.list_drafts() == []


def test_assignments_over_a_bound_are_refused_at_once() -> None:
    draft = make_draft()
    with pytest.raises(ValidationError):
        draft.sop.title = "T" * 201
    with pytest.raises(ValidationError):
        draft.sop.references = [Reference(text=f"s{n}.md") for n in range(11)]
