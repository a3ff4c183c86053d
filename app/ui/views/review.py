"""Review page: edit each section beside its sources and findings, then sign off."""

from __future__ import annotations

import streamlit as st

from app.models import SECTION_TITLES
from app.registry.records import DraftRecord
from app.ui import viewmodels as vm
from app.ui.components import DRAFT_PAGE, empty_state, escape_markdown, friendly_errors, show_notices, signed_in
from app.ui.state import AppContext, UIState, get_context, get_state
from app.ui.views import review_panels as panels


def render() -> None:
    """The Review page."""
    ctx, state = get_context(), get_state()
    st.title("Review")
    show_notices(state)
    with friendly_errors("Opening the draft"):
        record = _choose_draft(ctx, state)
    if record is None:
        return
    flags = panels.current_flags(ctx, state, record)
    views = vm.flag_views(flags, record.waivers)
    _header(record, views)
    st.caption(f"Your edits, waivers and signatures are recorded as {escape_markdown(signed_in(state).label)}.")
    grouped = vm.flags_by_section(views)
    sections = [vm.OTHER, *SECTION_TITLES]
    nav, body, sources = st.columns([1.2, 2.6, 2.2], gap="medium")
    with nav:
        # The labels carry finding counts; when they change, Streamlit resets the radio to
        # ``index``, so that must be the section remembered in the session state.
        first_problem = next((s for s in sections if any(v.open_blocker for v in grouped.get(s, []))), sections[0])
        current = state.section.get(record.draft_id, first_problem)
        section = st.radio("Section", sections, index=sections.index(current), key=f"section-{record.draft_id}",
                           format_func=lambda s: vm.section_label(s, grouped.get(s, [])))
        state.section[record.draft_id] = section
    with body:
        panels.section_flags(ctx, state, record, grouped.get(section, []), flags)
        panels.section_editor(ctx, state, record, section)
    with sources:
        panels.section_sources(record, section)
    st.divider()
    panels.approval_panel(ctx, state, record, flags)
    panels.history_panel(ctx, record)


def _choose_draft(ctx: AppContext, state: UIState) -> DraftRecord | None:
    drafts = ctx.services.store.list_drafts()
    if not drafts:
        empty_state("No drafts yet", ["Describe a task on the **Draft** page and press Draft.",
                                      "The draft opens here, section by section, beside its sources."],
                    page=str(DRAFT_PAGE), label="Go to Draft")
        return None
    ids = [d.draft_id for d in drafts]
    labels = {d.draft_id: f"{d.title} · {d.sop_id} · v{d.version} · {d.status}" for d in drafts}
    index = ids.index(state.draft_id) if state.draft_id in ids else 0
    state.draft_id = st.selectbox("Draft", ids, index=index, format_func=labels.get)
    return ctx.services.store.get_draft(state.draft_id)


def _header(record: DraftRecord, views: list[vm.FlagView]) -> None:
    draft = record.draft
    st.subheader(escape_markdown(draft.sop.title), anchor=False)
    open_blockers = sum(v.open_blocker for v in views)
    waived = sum(v.waiver is not None for v in views)
    st.caption(
        f"{escape_markdown(draft.sop.metadata.sop_id)} · version {record.version} · **{record.status}** · "
        f"drafted by {escape_markdown(vm.model_label(draft.provider, draft.model))} in "
        f"{draft.duration_s:.0f} s · task: {escape_markdown(draft.task)}"
    )
    if open_blockers:
        st.warning(f"{open_blockers} blocker(s) must be fixed or waived before approval; "
                   f"{len(views) - open_blockers - waived} other finding(s); {waived} waived.",
                   icon=":material/block:")
    else:
        st.success(f"No open blockers. {len(views) - waived} finding(s) to consider; {waived} waived.",
                   icon=":material/check_circle:")
