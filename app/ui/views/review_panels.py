"""The panels of the Review page: findings, editor, sources, approval and history."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable

import streamlit as st

from app.auth.permissions import MEANING_PERMISSION, Permission
from app.models import SECTION_TITLES, SOP, Flag
from app.registry.records import DraftRecord
from app.ui import viewmodels as vm
from app.ui.components import (
    REGISTRY_PAGE,
    escape_markdown,
    form_action,
    form_note,
    friendly_errors,
    highlighted_passage,
    signed_in,
)
from app.ui.section_text import EDITABLE_SECTIONS, apply_section, field_help, section_to_text
from app.ui.state import AppContext, UIState

if TYPE_CHECKING:
    from app.auth.accounts import Identity

PASSAGE_HEIGHT = 220  # px: long passages scroll inside their box, so several fit beside the editor


def current_flags(ctx: AppContext, state: UIState, record: DraftRecord) -> list[Flag]:
    """The findings of this exact version (critique + source drift), from the sign-off service.

    Computed once per version (versions never change; drift is re-read when it is checked).
    """
    key = f"{record.draft_id}@{record.version}"
    if key not in state.critique_cache:
        state.critique_cache[key] = ctx.services.signoff.flags(record)
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
            elif flag.severity != "info" and signed_in(state).can(Permission.WAIVE):
                _waive_form(ctx, state, record, flag)


def _waive_form(ctx: AppContext, state: UIState, record: DraftRecord, flag: Flag) -> None:
    form = f"waive-{flag.flag_id}"
    with st.popover("Waive with a reason", icon=":material/gavel:"):
        with st.form(form, border=False):
            st.text_area("Why is this acceptable?", key=f"waive-reason-{flag.flag_id}",
                         placeholder="e.g. The team lead signs off in the weekly meeting, minuted in Confluence.")
            st.form_submit_button("Waive", type="primary", on_click=form_action,
                                  args=(state, form, "Waiving", _waive, ctx, state, record, flag))
    form_note(state, form)


def _waive(ctx: AppContext, state: UIState, record: DraftRecord, flag: Flag) -> None:
    identity = signed_in(state)
    ctx.services.signoff.waive(identity, record.draft_id, flag.flag_id,
                               reason=st.session_state[f"waive-reason-{flag.flag_id}"])
    state.notify("success", f"Finding {flag.flag_id} waived by {identity.user.full_name}.")


def section_editor(ctx: AppContext, state: UIState, record: DraftRecord, section: str) -> None:
    """The edit form of one section (or of the title and identification) and its regenerate button."""
    if section not in EDITABLE_SECTIONS and section != vm.OTHER:
        st.caption("The document history is written by sign-off; it is not edited by hand.")
        st.text(section_to_history(record))
        return
    if not signed_in(state).can(Permission.EDIT):
        st.caption("Editing needs the author or reviewer role; this is the text as it stands.")
        st.text(_identification_text(record) if section == vm.OTHER else section_to_text(record.draft.sop, section))
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
    _regenerate(ctx, state, record, section)


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


def _identification_text(record: DraftRecord) -> str:
    """Title and identification as plain lines, for someone who may not edit them."""
    meta = record.draft.sop.metadata
    return (f"Title: {record.draft.sop.title}\nSOP id: {meta.sop_id or '(given at submit)'}\n"
            f"Owner: {meta.owner_name or '(chosen at submit)'} {f'({meta.owner_role})' if meta.owner_role else ''}\n"
            f"Review every {meta.review_cadence_months or 12} months")


def _identification_form(ctx: AppContext, state: UIState, record: DraftRecord) -> None:
    sop = record.draft.sop
    meta = sop.metadata
    form = f"ident-{record.draft_id}-{record.version}"
    owner = ctx.services.signoff.owner(record.draft_id)
    # The owner is an account chosen when the draft is submitted, never a typed name.
    st.caption(f"Owner: {escape_markdown(owner.full_name) if owner else 'chosen when the draft is submitted for review'}")
    with st.form(form):
        st.text_input("Title", value=sop.title, max_chars=200, key=f"{form}:title")
        cols = st.columns(2)
        cols[0].text_input("SOP id", value=meta.sop_id, key=f"{form}:sop_id")
        cols[1].number_input("Review every (months)", min_value=1, max_value=60,
                             value=meta.review_cadence_months or 12, key=f"{form}:cadence")
        st.text_input("What changed and why", placeholder="e.g. Shorter title", key=f"{form}:reason")
        st.form_submit_button("Save as a new version", icon=":material/save:", on_click=_save,
                              args=(ctx, state, record, form, functools.partial(_identification, sop, form)))
    form_note(state, form)


def _identification(sop: SOP, form: str, values) -> SOP:  # noqa: ANN001 - st.session_state
    meta = sop.metadata.model_copy(update={
        "sop_id": values[f"{form}:sop_id"].strip(), "review_cadence_months": int(values[f"{form}:cadence"])})
    return sop.model_copy(update={"title": values[f"{form}:title"].strip(), "metadata": meta})


def _save(ctx: AppContext, state: UIState, record: DraftRecord, form: str, build: Callable[..., SOP]) -> None:
    """Form callback: save the edited SOP as a new version before the page reruns.

    Running before the rerun (instead of saving mid-page and calling ``st.rerun``) draws the
    page once, already showing the new version; a problem is shown under the form, which
    keeps the reviewer's text.
    """
    form_action(state, form, "Saving", _save_version, ctx, state, record, form, build)


def _save_version(ctx: AppContext, state: UIState, record: DraftRecord, form: str, build: Callable[..., SOP]) -> None:
    sop = build(st.session_state)
    if sop == record.draft.sop:
        state.form_notes[form] = ("info", "Nothing changed, so no new version was saved.")
        return
    saved = ctx.services.signoff.edit(signed_in(state), record.draft_id, sop,
                                      reason=st.session_state[f"{form}:reason"], expected_version=record.version)
    state.forget_edits(record.draft_id)
    state.notify("success", f"Saved version {saved.version}. The findings were re-checked.")


def _regenerate(ctx: AppContext, state: UIState, record: DraftRecord, section: str) -> None:
    from app.drafting.sections import load_plan
    from app.drafting.service import regenerate_section

    if section not in load_plan().sections:
        return
    if not st.button("Regenerate this section from the sources", icon=":material/refresh:",
                     key=f"regen-{record.draft_id}-{record.version}-{section}"):
        return
    with friendly_errors("Regenerating"):
        with st.status(f"Regenerating {SECTION_TITLES[section]}…", expanded=True) as status:
            ctx.warmup.wait(timeout=ctx.settings.llm.timeout_s)
            saved = regenerate_section(ctx.services, record.draft_id, section, identity=signed_in(state),
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
    """Sign-off: submit with an owner, then the signatures the team requires, each re-authenticated."""
    st.subheader("Sign-off", anchor=False)
    if record.status not in ("draft", "in_review"):
        _approved_summary(ctx, record)
        return
    if record.status == "draft":
        _submit_form(ctx, state, record)
        return
    signoff, identity = ctx.services.signoff, signed_in(state)
    owner = signoff.owner(record.draft_id)
    given = {s.record.meaning: s for s in signoff.signatures(record)}
    required = ", ".join(f"{m} ({'signed by ' + escape_markdown(given[m].record.signer_name) if m in given else 'pending'})"
                         for m in ctx.settings.registry.signatures)
    st.caption(f"Owner: {escape_markdown(owner.full_name if owner else 'not assigned')} · required signatures: {required}")
    meaning = _meaning_for(ctx, identity, record)
    if meaning is None:
        st.info("Every required signature is there.")
        return
    problems = signoff.sign_problems(identity, record, meaning, flags)
    if problems:
        st.markdown(f"**Before you can sign '{meaning}':**\n" + "\n".join(f"- {escape_markdown(p)}" for p in problems))
        return
    _sign_form(ctx, state, record, meaning)


def _meaning_for(ctx: AppContext, identity: "Identity", record: DraftRecord) -> str | None:
    """The signature this user would give: the next one required, or a later one their roles allow.

    An owner waiting for the review signature then sees why she cannot approve yet, rather
    than that she lacks the reviewer role.
    """
    first = ctx.services.signoff.next_signature(record)
    if first is None:
        return None
    required = ctx.settings.registry.signatures
    later = required[required.index(first):] if first in required else [first]
    return next((m for m in later if identity.can(MEANING_PERMISSION[m])), first)


def _submit_form(ctx: AppContext, state: UIState, record: DraftRecord) -> None:
    if not signed_in(state).can(Permission.SUBMIT):
        st.caption("An author submits this draft for review, naming its owner.")
        return
    owners = [u for u in ctx.services.accounts.list_users() if "approver" in u.roles and not u.disabled]
    if not owners:
        st.warning("No user has the approver role yet; an admin must add the SOP's owner first.")
        return
    current = ctx.services.signoff.owner(record.draft_id)
    form = f"submit-{record.draft_id}-{record.version}"
    logins = [u.login for u in owners]
    names = {u.login: f"{u.full_name} ({u.job_title or u.login})" for u in owners}
    with st.form(form):
        st.selectbox("Owner (approves this SOP)", logins, format_func=names.get, key=f"{form}:owner",
                     index=logins.index(current.login) if current and current.login in logins else 0)
        st.form_submit_button(f"Submit version {record.version} for review", type="primary",
                              icon=":material/send:", on_click=form_action,
                              args=(state, form, "Submitting", _submit, ctx, state, record, form))
    form_note(state, form)


def _submit(ctx: AppContext, state: UIState, record: DraftRecord, form: str) -> None:
    saved = ctx.services.signoff.submit(signed_in(state), record.draft_id, owner_login=st.session_state[f"{form}:owner"],
                                        expected_version=record.version)
    state.forget_edits(record.draft_id)
    state.notify("success", f"Version {saved.version} is in review.")


def _sign_form(ctx: AppContext, state: UIState, record: DraftRecord, meaning: str) -> None:
    identity = signed_in(state)
    form = f"sign-{record.draft_id}-{record.version}-{meaning}"
    with st.form(form, border=True):
        st.markdown(f"**Sign '{meaning}' as {escape_markdown(identity.user.full_name)}**")
        st.checkbox(f"I have read this exact text (version {record.version}, content "
                    f"{record.draft.sop.content_hash()[:12]}) and its cited sources, and I sign it as {meaning}.",
                    key=f"{form}:confirm")
        if identity.method != "oidc":
            st.text_input("Your password (signing always asks for it again)", type="password", key=f"{form}:password",
                          autocomplete="current-password")
            st.form_submit_button(f"Sign version {record.version}", type="primary", icon=":material/draw:",
                                  on_click=form_action, args=(state, form, "Signing", _sign, ctx, state, record,
                                                              meaning, form))
        else:
            st.form_submit_button("Sign in again with your provider to sign", type="primary", icon=":material/draw:",
                                  on_click=form_action, args=(state, form, "Signing", _request_oidc_signature, ctx,
                                                              state, record, meaning, form))
    form_note(state, form)
    _pending_oidc_signature(ctx, state, record)


def _sign(ctx: AppContext, state: UIState, record: DraftRecord, meaning: str, form: str) -> None:
    from app.registry.signoff import PasswordProof

    password = str(st.session_state.get(f"{form}:password", ""))
    st.session_state[f"{form}:password"] = ""  # never kept in the session after use
    saved = ctx.services.signoff.sign(signed_in(state), record.draft_id, meaning, proof=PasswordProof(password),
                                      confirm=bool(st.session_state.get(f"{form}:confirm")),
                                      expected_version=record.version)
    state.forget_edits(record.draft_id)
    _signed_notice(state, saved, meaning)


def _signed_notice(state: UIState, saved: DraftRecord, meaning: str) -> None:
    if meaning == "approved" and saved.approval:
        state.notify("success", f"Approved: {saved.approval.sop_id} {saved.approval.doc_version} "
                                f"(version {saved.version}). Export it from the Registry.")
    else:
        state.notify("success", f"Signed '{meaning}' on version {saved.version}.")


def _request_oidc_signature(ctx: AppContext, state: UIState, record: DraftRecord, meaning: str, form: str) -> None:
    """Keep the signature pending on the server, then send the signer to a fresh provider login."""
    from app.registry.store import utcnow
    from app.ui.resources import pending_signatures
    from app.ui.state import PendingSignature

    if not st.session_state.get(f"{form}:confirm"):
        raise ValueError("confirm that you read this exact text and its cited sources")
    identity = signed_in(state)
    # Whole seconds: the provider's auth_time claim has no fraction, and a fast re-login may land in the same second.
    requested = utcnow().replace(microsecond=0)
    pending_signatures()[identity.user.user_id] = PendingSignature(record.draft_id, record.version, meaning, requested)
    try:
        st.login(ctx.settings.auth.oidc_reauth_provider or ctx.settings.auth.oidc_provider or None)
    except Exception:
        pending_signatures().pop(identity.user.user_id, None)  # no redirect, so nothing waits for it
        raise


def _pending_oidc_signature(ctx: AppContext, state: UIState, record: DraftRecord) -> None:
    from app.ui.identity import ready_signature

    identity = signed_in(state)
    pending = ready_signature(ctx, identity)
    if pending is None or (pending.draft_id, pending.version) != (record.draft_id, record.version):
        return
    st.info(f"You signed in again at {identity.auth_time:%H:%M:%S} UTC. Complete the '{pending.meaning}' signature.")
    st.button("Complete the signature", type="primary", key=f"complete-{record.draft_id}", icon=":material/draw:",
              on_click=form_action, args=(state, "complete-signature", "Signing", _complete_oidc, ctx, state, record))
    form_note(state, "complete-signature")


def _complete_oidc(ctx: AppContext, state: UIState, record: DraftRecord) -> None:
    from app.registry.signoff import OidcProof
    from app.ui.identity import ready_signature
    from app.ui.resources import pending_signatures

    identity = signed_in(state)
    pending = ready_signature(ctx, identity)
    if pending is None:
        raise ValueError("the fresh sign-in for this signature has expired; ask to sign again")
    pending_signatures().pop(identity.user.user_id, None)  # one fresh sign-in, one signature
    saved = ctx.services.signoff.sign(identity, record.draft_id, pending.meaning,
                                      proof=OidcProof(auth_time=identity.auth_time, requested_at=pending.requested_at),
                                      confirm=True, expected_version=pending.version)
    _signed_notice(state, saved, pending.meaning)


def _approved_summary(ctx: AppContext, record: DraftRecord) -> None:
    from app.registry.signatures import manifestation

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
    for signature in ctx.services.signoff.signatures(record):
        st.caption(":material/draw: " + escape_markdown(manifestation(signature)))
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
