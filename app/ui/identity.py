"""Who is using this UI session: a local sign-in kept in the session, or an OIDC login (``st.user``).

:func:`oidc_claims` is the one place that reads Streamlit's ``st.user``; tests replace that
function, never Streamlit's internals.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timezone
from typing import Any

import streamlit as st

from app.auth.accounts import AuthError, Identity
from app.ui.state import AppContext, PendingSignature, UIState


def oidc_claims() -> dict[str, Any] | None:
    """The ID-token claims of an OIDC login (None when nobody is logged in through OIDC)."""
    try:
        user = st.user
        if not user.is_logged_in:
            return None
        return {key: user[key] for key in user.to_dict()}
    except Exception:  # noqa: BLE001 - no [auth] configured, or an old Streamlit: no OIDC user
        return None


def _claim_time(claims: dict[str, Any]) -> datetime:
    value = claims.get("auth_time") or claims.get("iat") or time.time()
    return datetime.fromtimestamp(float(value), tz=timezone.utc)


def current_identity(ctx: AppContext, state: UIState) -> Identity | None:
    """The signed-in identity of this session, or None (also after the idle timeout, with a notice).

    Every run re-reads the account, so a role an admin removed, or a disabled account, takes
    effect at the user's next click.
    """
    now = time.monotonic()
    idle = ctx.settings.auth.idle_timeout_minutes * 60
    if state.identity is not None and now - state.last_seen > idle:
        sign_out(ctx, state)
        state.notify("info", f"Signed out after {ctx.settings.auth.idle_timeout_minutes:g} minutes without "
                             "activity. Sign in again to continue.")
        return None
    try:
        if state.identity is None or state.identity.method == "oidc":
            state.identity = _oidc_identity(ctx, state.identity)
        if state.identity is not None:
            state.identity = _refreshed(ctx, state.identity)
    except AuthError as exc:
        state.identity = None
        state.notify("error", str(exc))
    if state.identity is not None:
        state.last_seen = now
    return state.identity


def _oidc_identity(ctx: AppContext, identity: Identity | None) -> Identity | None:
    """The identity of the OIDC login, kept while it is the same login (None: nobody, or a local sign-in)."""
    claims = oidc_claims()
    if claims is None or not claims.get("sub"):
        return None  # nobody logged in through OIDC, or that login ended (logged out in another tab)
    if identity is not None and claims["sub"] == identity.user.oidc_subject and \
            _claim_time(claims) <= identity.auth_time:
        return identity  # the same login as before: nothing new to map
    auth = ctx.settings.auth
    roles = claims.get(auth.oidc_roles_claim) if auth.oidc_roles_claim else None
    return ctx.services.accounts.oidc_identity(
        issuer=str(claims.get("iss", "")), subject=str(claims["sub"]), email=str(claims.get("email", "")),
        name=str(claims.get("name", "")), auth_time=_claim_time(claims),
        claim_roles=roles if isinstance(roles, list) else None)


def _refreshed(ctx: AppContext, identity: Identity) -> Identity:
    """``identity`` with the account as stored now (roles, name); :class:`AuthError` once it is disabled."""
    user = ctx.services.accounts.get(identity.user.user_id)
    if user.disabled:
        raise AuthError(f"The account {user.login} was disabled; you are signed out.")
    if user == identity.user:
        return identity
    return dataclasses.replace(identity, user=user, roles=frozenset(user.roles))


def sign_in(ctx: AppContext, state: UIState, login: str, password: str) -> Identity:
    """Check a local login and password and keep the identity in this session."""
    state.identity = ctx.services.accounts.authenticate(login, password)
    state.last_seen = time.monotonic()
    return state.identity


def sign_out(ctx: AppContext, state: UIState) -> None:
    """Forget this session's identity (audited).

    An OIDC login is also ended with ``st.logout``, after the idle timeout too: otherwise the
    provider's cookie would sign the user straight back in at the next run.
    """
    identity, state.identity = state.identity, None
    if identity is None:
        return
    ctx.services.accounts.record_logout(identity)
    if identity.method == "oidc":
        st.logout()


def ready_signature(ctx: AppContext, identity: Identity) -> PendingSignature | None:
    """The signature ``identity`` asked for and has since re-authenticated for (None if there is none).

    A request older than the re-authentication window is dropped: the signer starts again.
    """
    from app.registry.store import utcnow
    from app.ui.resources import pending_signatures

    pending = pending_signatures().get(identity.user.user_id)
    if pending is None:
        return None
    if (utcnow() - pending.requested_at).total_seconds() > ctx.settings.auth.reauth_max_age_s:
        pending_signatures().pop(identity.user.user_id, None)
        return None
    return pending if identity.method == "oidc" and identity.auth_time >= pending.requested_at else None
