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
    LOGIN_PAGE,
    REGISTRY_PAGE,
    REVIEW_PAGE,
    SOURCES_PAGE,
    escape_markdown,
    friendly_errors,
    model_status,
    provider_line,
    show_error,
)
from app.ui.identity import current_identity, ready_signature, sign_out
from app.ui.resources import get_services, get_warmup
from app.ui.state import AppContext, UIState, get_state


def _pages(review_first: bool = False) -> list:
    """The workspace's pages; Review opens first while a re-authenticated signature waits there."""
    return [
        st.Page(SOURCES_PAGE, title="Sources", icon=":material/folder_open:", default=not review_first),
        st.Page(DRAFT_PAGE, title="Draft", icon=":material/edit_note:"),
        st.Page(REVIEW_PAGE, title="Review", icon=":material/rate_review:", default=review_first),
        st.Page(REGISTRY_PAGE, title="Registry", icon=":material/inventory_2:"),
    ]


def _sidebar(ctx: AppContext, state: UIState) -> None:
    with st.sidebar:
        identity = state.identity
        st.markdown(f":material/account_circle: Signed in as **{escape_markdown(identity.user.full_name)}** "
                    f"({escape_markdown(', '.join(sorted(identity.roles)) or 'no roles')})")
        st.button("Sign out", icon=":material/logout:", key="sign-out", on_click=sign_out, args=(ctx, state))
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
    with friendly_errors("Checking the sign-in"):
        current_identity(state.context, state)
    if state.identity is None:  # nothing but the sign-in page until someone has signed in
        st.navigation([st.Page(LOGIN_PAGE, title="Sign in", icon=":material/login:")]).run()
        return
    ready = ready_signature(state.context, state.identity)
    if ready is not None and state.draft_id is None:  # back from the provider's fresh sign-in: a new session
        state.draft_id = ready.draft_id
    page = st.navigation(_pages(review_first=ready is not None))
    _sidebar(state.context, state)
    try:
        with friendly_errors(page.title):
            page.run()
    finally:
        state.context.warmup.start()  # after the page is drawn, so loading never delays it

