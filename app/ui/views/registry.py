"""Registry page: SOPs in force, their review dates and drift, exports, and the logs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import streamlit as st

from app.auth.permissions import Permission
from app.registry.records import DraftRecord
from app.registry.signatures import manifestation
from app.ui import viewmodels as vm
from app.ui.components import (
    REVIEW_PAGE,
    empty_state,
    escape_markdown,
    form_action,
    form_note,
    friendly_errors,
    show_notices,
    signed_in,
)
from app.ui.state import AppContext, UIState, get_context, get_state

MIME = {
    "md": "text/markdown",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
}


def render() -> None:
    """The Registry page."""
    ctx, state = get_context(), get_state()
    st.title("Registry")
    st.caption("Approved SOPs and where they are exported: " + escape_markdown(str(ctx.settings.registry_dir)))
    show_notices(state)
    sops, audit, calls = st.tabs(["SOPs in force", "Audit log", "LLM call log"])
    with sops, friendly_errors("Reading the registry"):
        _sops(ctx, state)
    with audit, friendly_errors("Reading the audit log"):
        _audit(ctx)
    with calls, friendly_errors("Reading the LLM call log"):
        _calls(ctx)


def _sops(ctx: AppContext, state: UIState) -> None:
    records = ctx.services.store.current_records()
    if not records:
        empty_state("No approved SOPs yet",
                    ["Open a draft on the **Review** page, fix or waive its blockers, and approve it.",
                     "Approved SOPs appear here, ready to export as Markdown, DOCX and JSON."],
                    page=str(REVIEW_PAGE), label="Go to Review")
        return
    _drift_check(ctx, state)
    today = date.today()
    drifted = {(d.draft_id, d.version) for d in ctx.services.signoff.due(today) if d.reason == "source-drift"}
    within = ctx.settings.registry.due_within_days
    st.dataframe([_row(r, today, (r.draft_id, r.version) in drifted, within) for r in records],
                 hide_index=True, width="stretch")
    for record in records:
        _sop_panel(ctx, state, record, expanded=len(records) <= 3)


def _row(record: DraftRecord, today: date, drifted: bool, within_days: int) -> dict:
    approval = record.approval
    return {"SOP": approval.sop_id, "Title": record.draft.sop.title, "Version": approval.doc_version,
            "Owner": f"{approval.owner_name} ({approval.owner_role})", "Approver": approval.approver,
            "Approved": f"{approval.approved_at:%Y-%m-%d}", "Next review": str(approval.next_review_date),
            "Review": vm.review_marker(approval.next_review_date, today, drifted, within_days), "State": record.status}


def _drift_check(ctx: AppContext, state: UIState) -> None:
    """Compare cited sources with the index once per session (and on request)."""
    again = st.button("Check cited sources for changes", icon=":material/sync:")
    if state.drift_checked and not again:
        return
    items = ctx.services.signoff.check_drift(signed_in(state))
    state.drift_checked = True
    state.critique_cache.clear()  # drift flags are part of the findings
    for item in items:
        st.warning(f"{escape_markdown(item.sop_id)}: cited source {escape_markdown(item.source)} {item.change} "
                   "since approval; review it early.", icon=":material/difference:")


def _sop_panel(ctx: AppContext, state: UIState, record: DraftRecord, expanded: bool) -> None:
    approval = record.approval
    label = escape_markdown(f"{approval.sop_id} {approval.doc_version} · {record.draft.sop.title}")
    with st.expander(label, expanded=expanded):
        st.caption(f"Content hash {approval.content_hash[:16]} · approved by {escape_markdown(approval.approver)} "
                   f"on {approval.approved_at:%Y-%m-%d %H:%M} UTC · {len(approval.waivers)} waiver(s)")
        for signature in ctx.services.signoff.signatures(record):
            st.caption(":material/draw: " + escape_markdown(manifestation(signature)))
        form = f"export-{record.draft_id}-{record.version}"
        formats = ", ".join(f.upper() for f in ctx.settings.registry.formats)
        st.button(f"Export {formats} to the registry", key=form, icon=":material/output:",
                  disabled=not signed_in(state).can(Permission.EXPORT),
                  type="primary" if record.status == "approved" else "secondary",
                  on_click=form_action, args=(state, form, "Export", _export, ctx, state, record))
        form_note(state, form)
        files = _exported_files(ctx.settings.registry_dir, record)
        if not files:
            st.caption("Not exported yet.")
        cols = st.columns(max(len(files), 1))
        for col, path in zip(cols, files):
            col.download_button(f"Download {path.suffix[1:].upper()}", data=path.read_bytes,
                                file_name=path.name, mime=MIME.get(path.suffix[1:]), icon=":material/download:",
                                on_click="ignore",
                                key=f"dl-{record.draft_id}-{record.version}-{path.suffix}")


def _export(ctx: AppContext, state: UIState, record: DraftRecord) -> None:
    result = ctx.services.signoff.export(signed_in(state), record.draft_id, version=record.version)
    commit = f", git commit {result.commit[:10]}" if result.commit else ""
    state.notify("success", f"Exported {result.sop_id} {result.doc_version} to {result.directory}{commit}.")


def _exported_files(registry_dir: Path, record: DraftRecord) -> list[Path]:
    """The exported documents of ``record`` (not the signed manifest that lists them)."""
    from app.registry.export import MANIFEST
    from app.registry.paths import safe_component

    approval = record.approval
    folder = registry_dir / safe_component(approval.sop_id, what="SOP id") / safe_component(
        approval.doc_version, what="version")
    return sorted(p for p in folder.glob("*") if p.suffix[1:] in MIME and p.name != MANIFEST) \
        if folder.is_dir() else []


def _audit(ctx: AppContext) -> None:
    store = ctx.services.store
    if st.button("Verify the audit chain", icon=":material/fact_check:"):
        report = store.verify_audit()
        if report.ok:
            st.success(f"Audit chain intact: {report.entries} entries, head {report.head_hash[:16]}.")
        else:
            st.error("Audit chain problems:\n" + "\n".join(f"- {escape_markdown(p)}" for p in report.problems))
    entries = store.audit_log(limit=500)
    if not entries:
        st.caption("No audit entries yet: drafting, editing, waiving, approving and exporting are recorded here.")
        return
    st.dataframe([{"#": e.seq, "When": f"{e.at:%Y-%m-%d %H:%M:%S}", "Who": e.who, "What": e.action,
                   "Draft": e.draft_id, "Version": e.version, "Details": json.dumps(e.details, ensure_ascii=False)}
                  for e in entries], hide_index=True, width="stretch")


def _calls(ctx: AppContext) -> None:
    calls = ctx.services.call_log.read(limit=500)
    if not calls:
        st.caption("No LLM calls yet. Every call is logged here: provider, model, purpose, the chunks sent, "
                   "redactions and tokens (never the prompt text, only its hash).")
        return
    st.dataframe([{"When": f"{c.time:%Y-%m-%d %H:%M:%S}", "Provider": c.provider, "Model": c.model,
                   "Purpose": c.purpose, "Chunks": len(c.chunk_ids), "Redactions": len(c.redactions),
                   "Policy": c.policy, "Tokens in/out": f"{c.input_tokens or '-'}/{c.output_tokens or '-'}",
                   "Seconds": round(c.duration_s, 2), "OK": c.ok, "Error": c.error} for c in calls],
                 hide_index=True, width="stretch")
