"""The one typed session-state object of the UI.

Everything a session remembers between reruns lives in :class:`UIState`, stored under
:data:`STATE_KEY` in ``st.session_state``. Widgets keep their own values (Streamlit's
widget keys); nothing else is written to ``st.session_state``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from app.auth.accounts import Identity
    from app.models import Flag
    from app.services import Services
    from app.settings import Settings
    from app.ui.resources import ModelWarmup

STATE_KEY = "sopdraft"

NoticeLevel = Literal["success", "info", "warning", "error"]


@dataclass
class AppContext:
    """What the entry point built for this process: settings, services, model warm-up."""

    settings: "Settings"
    services: "Services"
    warmup: "ModelWarmup"


@dataclass
class IngestRow:
    """One line of the last ingest's per-file report, ready for display."""

    file: str
    status: str
    chunks: int = 0
    message: str = ""


@dataclass
class PendingSignature:
    """A signature asked for but waiting for the signer's fresh OIDC login to come back.

    Kept per process (``app.ui.resources.pending_signatures``), not in the session: the
    provider's redirect starts a new Streamlit session.
    """

    draft_id: str
    version: int
    meaning: str
    requested_at: Any  # datetime (UTC) the signer asked to sign


@dataclass
class UIState:
    """Per-session state: what is open, what was last done, and memoised results."""

    context: AppContext | None = field(default=None, repr=False)
    identity: "Identity | None" = field(default=None, repr=False)  # the signed-in user (never a typed name)
    last_seen: float = 0.0  # time.monotonic() of the last run, for the idle timeout
    draft_id: str | None = None
    ingest_rows: list[IngestRow] = field(default_factory=list)
    ingest_summary: str = ""
    search: tuple[str, list[Any]] | None = None
    drift_checked: bool = False
    section: dict[str, str] = field(default_factory=dict)  # draft_id -> the section open in Review
    edit_base: dict[str, int] = field(default_factory=dict)  # "draft_id:section" -> version being edited
    critique_cache: dict[str, list["Flag"]] = field(default_factory=dict, repr=False)
    notices: list[tuple[NoticeLevel, str]] = field(default_factory=list)
    form_notes: dict[str, tuple[NoticeLevel, str]] = field(default_factory=dict)  # form key -> message below it

    def notify(self, level: NoticeLevel, message: str) -> None:
        """Queue a message to show at the top of the next run (survives ``st.rerun``)."""
        self.notices.append((level, message))

    def forget_edits(self, draft_id: str) -> None:
        """After this session saved a version: every section of the draft edits the latest again."""
        self.edit_base = {k: v for k, v in self.edit_base.items() if not k.startswith(f"{draft_id}:")}

    def take_notices(self) -> list[tuple[NoticeLevel, str]]:
        """Return and clear the queued messages."""
        notices, self.notices = self.notices, []
        return notices


def get_state() -> UIState:
    """This session's :class:`UIState`, created on first use."""
    import streamlit as st

    state = st.session_state.get(STATE_KEY)
    if not isinstance(state, UIState):
        state = UIState()
        st.session_state[STATE_KEY] = state
    return state


def get_context() -> AppContext:
    """The :class:`AppContext` the entry point attached to this session for this run."""
    context = get_state().context
    if context is None:
        raise RuntimeError("the UI was started without app/ui/app.py (no services attached)")
    return context
