"""The panels of the Review page: findings, editor, sources, approval and history."""

from __future__ import annotations

import functools
from typing import Callable

import streamlit as st

from app.models import SECTION_TITLES, SOP, Flag
from app.registry.records import DraftRecord
from app.ui import viewmodels as vm
from app.ui.components import (
    REGISTRY_PAGE,
    escape_markdown,
    current_name,
    form_action,
    form_note,
    friendly_errors,
    highlighted_passage,
)
from app.ui.section_text import EDITABLE_SECTIONS, apply_section, field_help, section_to_text
from app.ui.state import AppContext, UIState

PASSAGE_HEIGHT = 220  # px: long passages scroll inside their box, so several fit beside the editor


def current_flags(ctx: AppContext, state: UIState, record: DraftRecord, owner: str | None = None,
                  role: str | None = None) -> list[Flag]:
    """The critique of this exact version, as signed off by ``owner``/``role`` when given.

    Computed once per version and owner (versions never change), so a rerun costs nothing.
    """
    from app.critique import critique_draft
    from app.registry.workflow import signoff_preview

    meta = record.draft.sop.metadata
    owner, role = (owner or meta.owner_name).strip(), (role or meta.owner_role).strip()
    key = f"{record.draft_id}@{record.version}|{owner}|{role}"
    if key not in state.critique_cache:
        drift = ctx.services.store.flags(record.draft_id, record.version, origin="drift")
        draft = signoff_preview(record.draft, owner, role)
        state.critique_cache[key] = critique_draft(draft, ctx.services.catalogue) + drift
    return state.critique_cache[key]


def section_flags(ctx: AppContext, state: UIState, record: DraftRecord, views: list[vm.FlagView],
                  flags: list[Flag]) -> None:
    """The findings of one section, each with its evidence, suggestion and a waive form."""
    if not views:
        st.caption(":material/check: No findings in this section.")
    for view in views:
        flag = view.flag
        with st.container(border=True):
            st.markdown(f"{vm.SEVERITY_ICON[flag.severity]} **{flag.severity}** · {escape_markdown(flag.message)}")
            if flag.evidence:
                st.caption("Evidence: " + escape_markdown(flag.evidence))
            if flag.suggestion:
                st.caption("Suggestion: " + escape_markdown(flag.suggestion))
            if view.waiver:
                w = view.waiver
                st.caption(f":material/verified: Waived by {escape_markdown(w.author)} on v{w.version}: "
                           f"{escape_markdown(w.reason)}")
            elif flag.severity != "info":
                _waive_form(ctx, state, record, flag, flags)


def _waive_form(ctx: AppContext, state: UIState, record: DraftRecord, flag: Flag, flags: list[Flag]) -> None:
    form = f"waive-{flag.flag_id}"
    with st.popover("Waive with a reason", icon=":material/gavel:"):
        with st.form(form, border=False):
            st.text_area("Why is this acceptable?", key=f"waive-reason-{flag.flag_id}",
                         placeholder="e.g. The team lead signs off in the weekly meeting, minuted in Confluence.")
            st.form_submit_button("Waive", type="primary", on_click=form_action,
                                  args=(state, form, "Waiving", _waive, ctx, state, record, flag, flags))
    form_note(state, form)


def _waive(ctx: AppContext, state: UIState, record: DraftRecord, flag: Flag, flags: list[Flag]) -> None:
    from app.registry.workflow import waive

    reviewer = current_name(state)
    waive(ctx.services.store, record.draft_id, flag.flag_id, reason=st.session_state[f"waive-reason-{flag.flag_id}"],
          author=reviewer, flags=flags)
    state.notify("success", f"Finding {flag.flag_id} waived by {reviewer}.")


def section_editor(ctx: AppContext, state: UIState, record: DraftRecord, section: str, reviewer: str) -> None:
    """The edit form of one section (or of the title and identification) and its regenerate button."""
    if section not in EDITABLE_SECTIONS and section != vm.OTHER:
        st.caption("The document history is written by sign-off; it is not edited by hand.")
        st.text(section_to_history(record))
        return
    base = _edit_base(ctx, state, record, section)
    if section == vm.OTHER:
        _identification_form(ctx, state, base)
        return
    form = f"edit-{record.draft_id}-{base.version}-{section}"
    with st.form(form):
        st.text_area(SECTION_TITLES[section], value=section_to_text(base.draft.sop, section), height=260,
                     help=field_help(section), key=f"{form}:text")
        st.text_input("What changed and why", placeholder="e.g. Named the approving role", key=f"{form}:reason")
        st.form_submit_button("Save as a new version", icon=":material/save:", on_click=_save_section,
                              args=(ctx, state, base, section, form))
    form_note(state, form)
    _regenerate(ctx, state, record, section, reviewer)


def _save_section(ctx: AppContext, state: UIState, base: DraftRecord, section: str, form: str) -> None:
    _save(ctx, state, base, form, lambda values: apply_section(base.draft.sop, section, values[f"{form}:text"]))


def _edit_base(ctx: AppContext, state: UIState, record: DraftRecord, section: str) -> DraftRecord:
    """The version this session is editing the section from (kept when someone else saves meanwhile)."""
    key = f"{record.draft_id}:{section}"
    base = state.edit_base.setdefault(key, record.version)
    if base == record.version:
        return record
    st.warning(f"{escape_markdown(record.author)} saved version {record.version} "
               f"({escape_markdown(record.reason)}) after you opened this section at version {base}. "
               "Saving checks your text against it, so nothing is overwritten.", icon=":material/group:")
    if st.button("Discard my changes and load the latest version", key=f"rebase-{key}"):
        state.edit_base[key] = record.version
        st.rerun()
    return ctx.services.store.get_draft(record.draft_id, base)


def section_to_history(record: DraftRecord) -> str:
    """The SOP's document history as plain lines."""
    return "\n".join(f"{h.version}  {h.date}  {h.author}: {h.change}" for h in record.draft.sop.history) \
        or "No approved versions yet."


def _identification_form(ctx: AppContext, state: UIState, record: DraftRecord) -> None:
    sop = record.draft.sop
    meta = sop.metadata
    form = f"ident-{record.draft_id}-{record.version}"
    with st.form(form):
        st.text_input("Title", value=sop.title, max_chars=200, key=f"{form}:title")
        cols = st.columns(2)
        cols[0].text_input("Owner (the person who keeps this SOP correct)", value=meta.owner_name,
                           key=f"{form}:owner")
        cols[1].text_input("Owner's role", value=meta.owner_role, key=f"{form}:role")
        cols[0].text_input("SOP id", value=meta.sop_id, key=f"{form}:sop_id")
        cols[1].number_input("Review every (months)", min_value=1, max_value=60,
                             value=meta.review_cadence_months or 12, key=f"{form}:cadence")
        st.text_input("What changed and why", placeholder="e.g. Named the owner", key=f"{form}:reason")
        st.form_submit_button("Save as a new version", icon=":material/save:", on_click=_save,
                              args=(ctx, state, record, form, functools.partial(_identification, sop, form)))
    form_note(state, form)


def _identification(sop: SOP, form: str, values) -> SOP:  # noqa: ANN001 - st.session_state
    meta = sop.metadata.model_copy(update={
        "sop_id": values[f"{form}:sop_id"].strip(), "owner_name": values[f"{form}:owner"].strip(),
        "owner_role": values[f"{form}:role"].strip(), "review_cadence_months": int(values[f"{form}:cadence"])})
    return sop.model_copy(update={"title": values[f"{form}:title"].strip(), "metadata": meta})


def _save(ctx: AppContext, state: UIState, record: DraftRecord, form: str, build: Callable[..., SOP]) -> None:
    """Form callback: save the edited SOP as a new version before the page reruns.

    Running before the rerun (instead of saving mid-page and calling ``st.rerun``) draws the
    page once, already showing the new version; a problem is shown under the form, which
    keeps the reviewer's text.
    """
    form_action(state, form, "Saving", _save_version, ctx, state, record, form, build)


def _save_version(ctx: AppContext, state: UIState, record: DraftRecord, form: str, build: Callable[..., SOP]) -> None:
    from app.registry.workflow import edit

    reviewer = current_name(state)
    sop = build(st.session_state)
    if sop == record.draft.sop:
        state.form_notes[form] = ("info", "Nothing changed, so no new version was saved.")
        return
    saved = edit(ctx.services.store, record.draft_id, sop, author=reviewer, reason=st.session_state[f"{form}:reason"],
                 expected_version=record.version)
    state.forget_edits(record.draft_id)
    state.notify("success", f"Saved version {saved.version}. The findings were re-checked.")


def _regenerate(ctx: AppContext, state: UIState, record: DraftRecord, section: str, reviewer: str) -> None:
    from app.drafting.sections import load_plan
    from app.drafting.service import regenerate_section

    if section not in load_plan().sections:
        return
    if not st.button("Regenerate this section from the sources", icon=":material/refresh:",
                     key=f"regen-{record.draft_id}-{record.version}-{section}"):
        return
    with friendly_errors("Regenerating"):
        if not reviewer.strip():
            raise ValueError("enter your name at the top of the page first")
        with st.status(f"Regenerating {SECTION_TITLES[section]}…", expanded=True) as status:
            ctx.warmup.wait(timeout=ctx.settings.llm.timeout_s)
            saved = regenerate_section(ctx.services, record.draft_id, section, author=reviewer.strip(),
                                       expected_version=record.version,
                                       progress=lambda p: status.write(escape_markdown(p.message)))
        state.forget_edits(record.draft_id)
        state.notify("success", f"Regenerated {SECTION_TITLES[section]} as version {saved.version}.")
        st.rerun()


def section_sources(record: DraftRecord, section: str) -> None:
    """The evidence of one section: each passage, where it is from, and what cites it."""
    st.markdown("**Sources for this section**")
    if section == vm.OTHER or section not in EDITABLE_SECTIONS:
        st.caption("Pick a section to see the passages it was drafted from.")
        return
    unknown = vm.unknown_citations(record.draft, section)
    if unknown:
        st.error("Cites passages that are not in this draft's sources: " + escape_markdown(", ".join(unknown)))
    evidence = vm.evidence_for(record.draft, section)
    if not evidence:
        st.caption("No source passage was found for this section.")
    for view in evidence:
        cited = f"cited by item {', '.join(map(str, view.cited_by))}" if view.cited_by else "retrieved, not cited"
        st.caption(f"{escape_markdown(view.where)} · {escape_markdown(view.chunk.chunk_id)} · {cited}")
        if view.span:  # the highlighted sentence may sit below the fold of the scrolling box
            sentence = " ".join(view.chunk.text[view.span[0]:view.span[1]].split())
            st.caption(f":material/format_quote: {escape_markdown(sentence)}")
        with st.container(border=True, height=PASSAGE_HEIGHT):
            highlighted_passage(view.chunk.text, view.span)


def approval_panel(ctx: AppContext, state: UIState, record: DraftRecord, flags: list[Flag]) -> None:
    """Sign-off: disabled until owner, role, confirmation and no open blocker; says what is missing."""
    from app.registry.workflow import approval_problems

    st.subheader("Approval", anchor=False)
    if record.status not in ("draft", "in_review"):
        _approved_summary(record)
        return
    meta = record.draft.sop.metadata
    cols = st.columns(2)
    owner = cols[0].text_input("Owner's full name", value=meta.owner_name, key=f"owner-{record.draft_id}-{record.version}",
                               placeholder="First and last name")
    role = cols[1].text_input("Owner's role", value=meta.owner_role, key=f"role-{record.draft_id}-{record.version}",
                              placeholder="e.g. Operations Manager")
    confirm = st.checkbox(f"I am the owner and I have reviewed this exact text (version {record.version}, "
                          f"content {record.draft.sop.content_hash()[:12]}) and its cited sources.",
                          key=f"confirm-{record.draft_id}-{record.version}")
    # The owner named here counts for the critique: approval is what records the owner.
    flags = current_flags(ctx, state, record, owner, role)
    problems = approval_problems(owner_name=owner, owner_role=role, confirm=confirm, flags=flags,
                                 waivers=record.waivers)
    if problems:
        st.markdown("**Still missing before approval:**\n" + "\n".join(f"- {escape_markdown(p)}" for p in problems))
    form = f"approve-{record.draft_id}"
    st.button(f"Approve version {record.version}", type="primary", disabled=bool(problems), icon=":material/task_alt:",
              on_click=form_action, args=(state, form, "Approval", _approve, ctx, state, record, flags))
    form_note(state, form)


def _approve(ctx: AppContext, state: UIState, record: DraftRecord, flags: list[Flag]) -> None:
    from app.registry.workflow import approve

    values, key = st.session_state, f"{record.draft_id}-{record.version}"
    saved = approve(ctx.services.store, record.draft_id, owner_name=values[f"owner-{key}"],
                    owner_role=values[f"role-{key}"], confirm=values[f"confirm-{key}"], flags=flags,
                    expected_version=record.version)
    state.forget_edits(record.draft_id)
    state.notify("success", f"Approved: {saved.approval.sop_id} {saved.approval.doc_version} "
                            f"(version {saved.version}). Export it from the Registry.")


def _approved_summary(record: DraftRecord) -> None:
    approval = record.approval
    if approval is None:
        st.info(f"Version {record.version} is {record.status}. Edit any section to start a new version.")
        return
    st.success(
        f"{escape_markdown(approval.sop_id)} {escape_markdown(approval.doc_version)} approved by "
        f"{escape_markdown(approval.approver)} (owner {escape_markdown(approval.owner_name)}, "
        f"{escape_markdown(approval.owner_role)}) on {approval.approved_at:%Y-%m-%d}; next review "
        f"{approval.next_review_date}. Content hash {approval.content_hash[:12]}.",
        icon=":material/verified:",
    )
    st.page_link(str(REGISTRY_PAGE), label="Export it from the Registry", icon=":material/arrow_forward:")


def history_panel(ctx: AppContext, record: DraftRecord) -> None:
    """Every version of the draft, and the difference between any two."""
    from app.registry.diff import diff_against_approved, diff_versions, format_diff

    # A toggle, not an expander: a collapsed expander still builds (and ships) its table and diffs.
    if not st.toggle(f"Version history ({record.latest_version} versions)", key=f"history-{record.draft_id}"):
        return
    with st.container(border=True):
        if record.status in ("draft", "in_review"):
            since = diff_against_approved(ctx.services.store, record.draft_id)
            if since is not None:
                st.markdown("**Changes since the approved version in force**")
                st.code(format_diff(since), language="diff")
        history = ctx.services.store.history(record.draft_id)
        st.dataframe([{"Version": h.version, "State": h.status, "By": h.author, "Why": h.reason,
                       "When": f"{h.created_at:%Y-%m-%d %H:%M}", "Approved by": h.approved_by} for h in history],
                     hide_index=True, width="stretch")
        if len(history) < 2:
            return
        versions = [h.version for h in history]
        cols = st.columns(2)
        old = cols[0].selectbox("Compare version", versions, index=len(versions) - 2, key="diff-from")
        new = cols[1].selectbox("with version", versions, index=len(versions) - 1, key="diff-to")
        st.code(format_diff(diff_versions(ctx.services.store, record.draft_id, old, new)), language="diff")
