"""The frame around every page: settings, services, navigation and the sidebar.

Run by the entry script ``app/ui/app.py``. :func:`main` is the one place the UI reads the
environment (``Settings()`` from ``SOPDRAFT_*`` variables); the process-wide services for
those settings come from the resource cache, so a rerun never builds anything heavy.
"""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from app.settings import Settings
from app.ui.components import (
    DRAFT_PAGE,
    REGISTRY_PAGE,
    REVIEW_PAGE,
    SOURCES_PAGE,
    escape_markdown,
    friendly_errors,
    model_status,
    provider_line,
    show_error,
)
from app.ui.resources import get_services, get_warmup
from app.ui.state import AppContext, get_state


def _pages() -> list:
    return [
        st.Page(SOURCES_PAGE, title="Sources", icon=":material/folder_open:", default=True),
        st.Page(DRAFT_PAGE, title="Draft", icon=":material/edit_note:"),
        st.Page(REVIEW_PAGE, title="Review", icon=":material/rate_review:"),
        st.Page(REGISTRY_PAGE, title="Registry", icon=":material/inventory_2:"),
    ]


def _sidebar(ctx: AppContext) -> None:
    with st.sidebar:
        st.caption(provider_line(ctx.settings))
        model_status(ctx.warmup)
        st.caption("Data folder: " + escape_markdown(str(ctx.settings.data_dir)))


def main() -> None:
    """Build the settings and services, attach them to the session, and run the chosen page."""
    st.set_page_config(page_title="sopdraft", page_icon=":material/assignment:", layout="wide")
    state = get_state()
    try:
        settings = Settings()
    except ValidationError as exc:
        show_error(f"The SOPDRAFT_* settings are invalid:\n{exc}")
        st.stop()
    services = get_services(settings)
    state.context = AppContext(settings, services, get_warmup(settings, services))
    page = st.navigation(_pages())
    _sidebar(state.context)
    try:
        with friendly_errors(page.title):
            page.run()
    finally:
        state.context.warmup.start()  # after the page is drawn, so loading never delays it

