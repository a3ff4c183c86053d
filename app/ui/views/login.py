"""Sign-in page: shown before anything else until the session has an authenticated user."""

from __future__ import annotations

import streamlit as st

from app.ui.components import form_action, form_note, show_notices
from app.ui.identity import sign_in
from app.ui.state import AppContext, UIState, get_context, get_state

FORM = "login"


def render() -> None:
    """The sign-in page: local password, and the organisation's OIDC provider when configured."""
    ctx, state = get_context(), get_state()
    st.title("Sign in to sopdraft")
    st.caption("Every edit, waiver and signature is recorded under the signed-in person's name.")
    show_notices(state)
    left, right = st.columns([2, 3], gap="large")
    with left:
        _local_form(ctx, state)
        provider = ctx.settings.auth.oidc_provider
        if oidc_available():
            st.divider()
            st.button("Sign in with your organisation", icon=":material/login:", key="oidc-login",
                      on_click=st.login, args=(provider or None,))
    with right:
        if not ctx.services.accounts.has_users() and not oidc_available():
            st.info("No accounts yet. Create the first admin on this machine:\n\n"
                    "`sopdraft user add LOGIN --name \"Full Name\" --role admin`")


def oidc_available() -> bool:
    """Whether Streamlit's OIDC login is configured (``[auth]`` in ``.streamlit/secrets.toml``)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _local_form(ctx: AppContext, state: UIState) -> None:
    with st.form(FORM, border=True):
        st.text_input("Login", key="login-name", autocomplete="username")
        st.text_input("Password", type="password", key="login-password", autocomplete="current-password")
        st.form_submit_button("Sign in", type="primary", icon=":material/lock_open:",
                              on_click=form_action, args=(state, FORM, "Sign-in", _sign_in, ctx, state))
    form_note(state, FORM)


def _sign_in(ctx: AppContext, state: UIState) -> None:
    login = str(st.session_state.get("login-name", ""))
    password = str(st.session_state.get("login-password", ""))
    st.session_state["login-password"] = ""  # never kept in the session after use
    identity = sign_in(ctx, state, login, password)
    state.notify("success", f"Signed in as {identity.label}.")

