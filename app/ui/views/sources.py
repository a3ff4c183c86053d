"""Sources page: add notes (upload or folder), ingest them, browse and search the index."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui import viewmodels as vm
from app.auth.permissions import Permission
from app.ui.components import empty_state, escape_markdown, friendly_errors, show_error, show_notices, signed_in
from app.ui.state import AppContext, IngestRow, UIState, get_context, get_state
from app.ui.uploads import save_uploads

UPLOAD_TYPES = ["md", "markdown", "txt", "text", "html", "htm", "pdf", "docx"]


def render() -> None:
    """The Sources page."""
    ctx, state = get_context(), get_state()
    st.title("Sources")
    st.caption("The notes, policies and handbooks an SOP is drafted from. Every drafted statement cites them.")
    show_notices(state)
    add_col, report_col = st.columns([3, 2], gap="large")
    with add_col:
        _add_sources(ctx, state)
    with report_col:
        _last_ingest(state)
    st.divider()
    with friendly_errors("Reading the index"):
        sources = ctx.services.index.sources()
        if not sources:
            empty_state(
                "No sources yet",
                [
                    "Upload your process notes above (Markdown, text, HTML, PDF or DOCX), "
                    "or type the path of a folder on this machine.",
                    "Press **Ingest**: each file is split into passages and indexed locally.",
                    "Then describe the task on the **Draft** page.",
                ],
            )
            return
        _search(ctx, state)
        _browse(ctx, sources)


def _add_sources(ctx: AppContext, state: UIState) -> None:
    st.subheader("Add sources")
    if not signed_in(state).can(Permission.INGEST):
        st.caption("Adding sources needs the author role.")
        return
    roots = folder_roots(ctx)
    with st.form("upload", clear_on_submit=True, border=True):
        files = st.file_uploader("Upload files", type=UPLOAD_TYPES, accept_multiple_files=True)
        folder = st.text_input("…or a folder (or file) on this machine", placeholder="/path/to/notes") \
            if roots is None or roots else ""
        submitted = st.form_submit_button("Ingest", type="primary", icon=":material/upload:")
    if not submitted:
        return
    uploads = ctx.settings.data_dir / "uploads"
    paths, refused = save_uploads(uploads, [(f.name, f.getvalue()) for f in files or []],
                                  ctx.settings.ingest.max_file_mb)
    for message in refused:
        show_error(f"Not uploaded: {message}")
    if folder.strip():
        target = Path(folder.strip()).expanduser()
        if roots is not None and not any(target.resolve().is_relative_to(r.resolve()) for r in roots):
            show_error(f"{target}: this server only ingests uploads and folders under "
                       f"{', '.join(map(str, roots))} (auth.ingest_roots).")
        elif not target.exists():
            show_error(f"{target}: no such file or folder on this machine.")
        else:
            paths.append(target)
    if not paths:
        st.warning("Choose files to upload or type a folder path, then press Ingest.")
        return
    _ingest(ctx, state, paths)


def folder_roots(ctx: AppContext) -> list[Path] | None:
    """Folders a typed path may lie in: any (None) on loopback; only ``auth.ingest_roots`` beyond it."""
    from app.settings import is_loopback

    address = str(st.get_option("server.address") or "127.0.0.1")
    return None if is_loopback(address) else list(ctx.settings.auth.ingest_roots)


def _ingest(ctx: AppContext, state: UIState, paths: list[Path]) -> None:
    bar = st.progress(0.0, text="Starting…")

    def progress(p) -> None:  # noqa: ANN001 - ingest.models.IngestProgress
        if not p.files_total:  # e.g. waiting for another ingest of the same index
            bar.progress(0.0, text=escape_markdown(p.current))
            return
        bar.progress(min(p.fraction, 1.0), text=escape_markdown(
            f"{p.files_done}/{p.files_total} files · {p.chunks_done} passages · {p.current}"))

    with friendly_errors("Ingest"):
        report = ctx.services.index.ingest(paths, progress=progress)
        bar.progress(1.0, text="Done")
        state.ingest_rows = [IngestRow(f.source or f.path, f.status, f.chunks, f.reason) for f in report.files]
        state.ingest_summary = (
            f"{report.count('ingested')} ingested, {report.count('unchanged')} unchanged, "
            f"{report.count('failed')} failed · {report.chunks_added} passages added · "
            f"{report.chunks_total} in the index · {report.duration_s:.1f} s"
        )
        state.search = None
        level = "warning" if report.count("failed") else "success"
        state.notify(level, f"Ingest finished: {state.ingest_summary}")
        st.rerun()


def _last_ingest(state: UIState) -> None:
    st.subheader("Last ingest")
    if not state.ingest_rows:
        st.caption("Nothing ingested in this session yet.")
        return
    st.caption(state.ingest_summary)
    st.dataframe(
        [{"File": r.file, "Status": r.status, "Passages": r.chunks, "Reason": r.message} for r in state.ingest_rows],
        hide_index=True,
        width="stretch",
    )


def _search(ctx: AppContext, state: UIState) -> None:
    st.subheader("Search the sources")
    query = st.text_input("Search", placeholder="e.g. who approves the summary", label_visibility="collapsed")
    if not query.strip():
        return
    if state.search is None or state.search[0] != query:
        state.search = (query, ctx.services.index.search(query, k=ctx.settings.retrieval.k))
    hits = state.search[1]
    if not hits:
        st.info("No passage matches that search.")
    for hit in hits:
        with st.container(border=True):
            st.caption(escape_markdown(f"{vm.where(hit)} · score {hit.score:.2f} · {hit.chunk_id}"))
            st.text(hit.text)


def _browse(ctx: AppContext, sources: list) -> None:
    st.subheader(f"Documents ({len(sources)})")
    st.dataframe(
        [{"Source": s.source, "Passages": s.chunks, "Size (KB)": round(s.size / 1024, 1), "Folder": s.root} for s in sources],
        hide_index=True,
        width="stretch",
    )
    chosen = st.selectbox("Show the passages of", [s.source for s in sources], index=None, placeholder="Pick a document")
    if chosen:
        for hit in ctx.services.index.chunks_of(chosen):
            with st.expander(escape_markdown(f"{vm.where(hit)} · {hit.chunk_id}")):
                st.text(hit.text)
