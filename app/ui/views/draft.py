"""Draft page: describe the task, choose sections, draft with live progress, open in Review."""

from __future__ import annotations

import streamlit as st

from app.auth.permissions import Permission
from app.models import SECTION_TITLES
from app.ui.components import (
    REVIEW_PAGE,
    SOURCES_PAGE,
    empty_state,
    escape_markdown,
    friendly_errors,
    model_status,
    provider_line,
    show_notices,
    signed_in,
)
from app.ui.section_text import section_to_text
from app.ui.state import AppContext, UIState, get_context, get_state


def render() -> None:
    """The Draft page."""
    ctx, state = get_context(), get_state()
    st.title("Draft an SOP")
    show_notices(state)
    st.markdown(provider_line(ctx.settings))
    model_status(ctx.warmup)
    if not ctx.services.index.sources():
        empty_state(
            "Add sources first",
            ["Every statement of a draft cites your notes, so ingest them on the **Sources** page.",
             "Come back here and describe the task the SOP is for."],
            page=str(SOURCES_PAGE), label="Go to Sources",
        )
        return
    _draft_form(ctx, state)
    st.divider()
    _recent_drafts(ctx, state)


def _section_titles() -> dict[str, str]:
    from app.drafting.sections import load_plan

    return {key: spec.title for key, spec in load_plan().sections.items()}


def _draft_form(ctx: AppContext, state: UIState) -> None:
    if not signed_in(state).can(Permission.DRAFT):
        st.caption("Drafting needs the author role; an admin can grant it.")
        return
    titles = _section_titles()
    with st.form("draft", border=True):
        task = st.text_area(
            "What is the procedure for?",
            placeholder="e.g. Summarise internal meetings with AI and share the summary within one business day",
            height=90,
        )
        sections = st.multiselect("Sections to draft", list(titles), default=list(titles), format_func=titles.get)
        submitted = st.form_submit_button("Draft", type="primary", icon=":material/auto_awesome:")
    if not submitted:
        return
    problems = [m for ok, m in ((task.strip(), "describe the task"), (sections, "choose at least one section"))
                if not ok]
    if problems:
        st.warning("Before drafting, " + " and ".join(problems) + ".")
        return
    with friendly_errors("Drafting"):
        _run_draft(ctx, state, task.strip(), sections)


def _run_draft(ctx: AppContext, state: UIState, task: str, sections: list[str]) -> None:
    from app.drafting.service import create_draft

    with st.status("Drafting…", expanded=True) as status:
        status.write("Waiting for the chat model to be ready…")
        ctx.warmup.wait(timeout=ctx.settings.llm.timeout_s)
        bar = st.progress(0.0)

        def progress(p) -> None:  # noqa: ANN001 - app.drafting.service.DraftProgress
            bar.progress(min(p.done / p.total, 1.0) if p.total else 0.0, text=escape_markdown(p.message))
            status.write(escape_markdown(f"{p.message} ({p.done}/{p.total})" if p.total else p.message))
            for key in p.finished if p.sop is not None else []:
                # Each section as soon as it is drafted; verification and flags follow on the Review page.
                status.markdown(f"**{escape_markdown(SECTION_TITLES[key])}** (not yet verified)")
                status.text(section_to_text(p.sop, key) or "(nothing drafted)")

        record = create_draft(ctx.services, task, identity=signed_in(state), sections=sections, progress=progress)
        status.update(label="Drafted " + escape_markdown(record.draft.sop.title), state="complete", expanded=False)
    state.draft_id = record.draft_id
    state.notify("success", f"Draft {record.draft_id} created in {record.draft.duration_s:.0f} s. Review it below.")
    st.switch_page(REVIEW_PAGE)


def _recent_drafts(ctx: AppContext, state: UIState) -> None:
    st.subheader("Drafts")
    drafts = ctx.services.store.list_drafts()
    if not drafts:
        st.caption("No drafts yet. Your first one will appear here.")
        return
    for summary in drafts[:20]:
        cols = st.columns([5, 2, 2, 1], vertical_alignment="center")
        cols[0].text(f"{summary.title}  ({summary.sop_id})")
        cols[1].text(f"v{summary.version} · {summary.status}")
        cols[2].text(f"{summary.updated_at:%Y-%m-%d %H:%M}")
        if cols[3].button("Open", key=f"open-{summary.draft_id}"):
            state.draft_id = summary.draft_id
            st.switch_page(REVIEW_PAGE)
