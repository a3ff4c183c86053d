"""Small rendering helpers shared by the pages.

Untrusted text (sources, model output) is only ever shown with ``st.text``/``st.code`` or
with Markdown whose special characters are escaped (:func:`escape_markdown`); raw HTML is
never enabled.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import streamlit as st

from app.settings import Settings
from app.ui.resources import ModelWarmup
from app.ui.state import UIState

if TYPE_CHECKING:
    from app.auth.accounts import Identity

# Not "pages/": Streamlit would then also serve every script there by URL, bypassing the sign-in in
# app/ui/shell.py (its automatic multipage mode runs a pages/ folder next to the entry script).
PAGES = Path(__file__).resolve().parent / "page_scripts"  # the page scripts run by st.navigation
SOURCES_PAGE, DRAFT_PAGE, REVIEW_PAGE, REGISTRY_PAGE, LOGIN_PAGE = (
    PAGES / f"{name}.py" for name in ("sources", "draft", "review", "registry", "login")
)

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them
# all also defuses Streamlit's extensions (``:red[...]`` directives, ``$`` maths).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=^\"'%@;,?/])")


def escape_markdown(text: str) -> str:
    """``text`` escaped so Markdown shows it literally (no links, images, HTML or maths)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def show_notices(state: UIState) -> None:
    """Show (once) the messages queued with :meth:`UIState.notify` (as literal text).

    They go into a container that is always there, so a notice does not shift the page's
    elements (Streamlit would then rebuild every element below it).
    """
    with st.container():
        for level, message in state.take_notices():
            getattr(st, level)(escape_markdown(message))


@contextmanager
def friendly_errors(action: str) -> Iterator[None]:
    """Turn any error inside the block into ``st.error("<action> failed: <reason>")``.

    Streamlit's own control flow (``st.rerun``, ``st.stop``) derives from BaseException and
    passes through untouched.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the user gets the reason, never a stack trace
        logging.getLogger(__name__).exception("%s failed", action)
        show_error(f"{action} failed: {exc}")


def show_error(message: str) -> None:
    """An error box with the first line of ``message``; further lines (e.g. a diff) as a code block."""
    first, _, rest = message.partition("\n")
    st.error(escape_markdown(first), icon=":material/error:")
    if rest.strip():
        st.code(rest, language=None, wrap_lines=True)


def empty_state(title: str, steps: list[str], page: str | None = None, label: str = "") -> None:
    """An empty state that tells a new user what to do next, with a link to the page that does it."""
    with st.container(border=True):
        st.markdown(f"**{title}**")
        for number, step in enumerate(steps, start=1):
            st.markdown(f"{number}. {step}")
        if page:
            st.page_link(page, label=label or "Go", icon=":material/arrow_forward:")


def highlighted_passage(text: str, span: tuple[int, int] | None) -> None:
    """Show a source passage as literal text, with ``text[span]`` highlighted."""
    if span is None:
        st.text(text)
        return
    start, end = span
    cited = " ".join(text[start:end].split())
    st.markdown(
        escape_markdown(text[:start]) + f":orange-background[{escape_markdown(cited)}]" + escape_markdown(text[end:])
    )


def model_status(warmup: ModelWarmup) -> None:
    """A status line for the chat model; refreshes itself every second while it loads."""
    state, message = warmup.status()
    if state == "loading":
        _live_model_status(warmup)
    elif state == "failed":
        st.error(escape_markdown(message), icon=":material/error:")
    else:
        st.caption(f":material/check_circle: {escape_markdown(message)}")


@st.fragment(run_every=1.0)
def _live_model_status(warmup: ModelWarmup) -> None:
    state, message = warmup.status()
    if state != "loading":
        st.rerun()  # redraw the whole page once, so what needed the model is enabled
    st.caption(f":material/hourglass_top: {escape_markdown(message)}")


def provider_line(settings: Settings) -> str:
    """Which model drafts and whether text leaves the machine, as one Markdown line."""
    llm, privacy = settings.llm, settings.privacy
    name = escape_markdown(llm.provider + (f" / {llm.model}" if llm.model else ""))
    if llm.stays_on_machine():
        return f":material/lock: Model **{name}**: local, nothing leaves this machine."
    return f":material/public: Model **{name}**: remote; source text is sent with policy **{privacy.remote_policy}**."


def signed_in(state: UIState) -> "Identity":
    """The signed-in identity of this session (pages are only drawn for a signed-in user)."""
    if state.identity is None:
        raise PermissionError("sign in first")
    return state.identity


def form_action(state: UIState, form: str, action: str, fn: Callable[..., None], *args: object) -> None:
    """Widget callback body: run ``fn(*args)``; an error is kept to show under ``form``.

    Callbacks run before the page reruns, so the page is drawn once, already showing the
    result (no ``st.rerun``), and a failure is shown where the user acted.
    """
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - shown to the user, never as a stack trace
        logging.getLogger(__name__).info("%s failed: %s", action, exc)
        state.form_notes[form] = ("error", f"{action} failed: {exc}")


def form_note(state: UIState, form: str) -> None:
    """Show (once) what the last action on ``form`` left to say."""
    level, message = state.form_notes.pop(form, (None, ""))
    if level == "error":
        show_error(message)
    elif level:
        getattr(st, level)(escape_markdown(message))
