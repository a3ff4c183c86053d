"""Process-wide resources of the UI: the services and the background model warm-up.

Both are created once per process (per distinct settings) with ``st.cache_resource``, so a
rerun never rebuilds the index, the store or the chat model.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from typing import Literal

from app.logsetup import route_library_logs
from app.services import Services
from app.settings import Settings

WarmupStatus = Literal["loading", "ready", "failed"]


class ModelWarmup:
    """Loads the chat model in a background thread so the UI is usable at once.

    ``Services.chat_model`` may take ~10 s for the embedded model; pages show
    :meth:`status` and call :meth:`wait` just before they need the model. The entry point
    calls :meth:`start` after the first page is drawn, so loading never slows that page.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._done = threading.Event()
        self._error: str = ""
        self._started = time.monotonic()
        self.load_seconds: float | None = None
        self._thread = threading.Thread(target=self._load, name="sopdraft-model-warmup", daemon=True)
        self._start_lock = threading.Lock()

    def start(self) -> None:
        """Start loading in the background (idempotent)."""
        with self._start_lock:
            if self._thread.ident is None:
                self._started = time.monotonic()
                self._thread.start()

    def _load(self) -> None:
        try:
            _ = self._services.chat_model
        except Exception as exc:  # noqa: BLE001 - shown to the user, who can fix the settings
            self._error = f"{type(exc).__name__}: {exc}"
        finally:
            self.load_seconds = time.monotonic() - self._started
            self._done.set()

    def status(self) -> tuple[WarmupStatus, str]:
        """``(state, message)`` for a status line."""
        llm = self._services.settings.llm
        name = f"{llm.provider}{f' / {llm.model}' if llm.model else ''}"
        if not self._done.is_set():
            waited = time.monotonic() - self._started
            return "loading", f"Loading the chat model ({name})… {waited:.0f} s"
        if self._error:
            return "failed", f"The chat model ({name}) could not be loaded: {self._error}"
        return "ready", f"Chat model ready ({name}, loaded in {self.load_seconds:.1f} s)"

    def wait(self, timeout: float | None = None) -> None:
        """Block until the model is loaded; raise ``RuntimeError`` if loading failed."""
        self.start()
        if not self._done.wait(timeout):
            raise RuntimeError("the chat model is still loading; try again in a moment")
        if self._error:
            raise RuntimeError(f"the chat model could not be loaded: {self._error}")


def settings_fingerprint(settings: Settings) -> str:
    """A stable key for ``settings`` (secrets included, hashed) to cache resources by."""
    key = settings.llm.api_key.get_secret_value() if settings.llm.api_key else ""
    raw = settings.model_dump_json() + "\0" + key
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _build_services(fingerprint: str, _settings: Settings) -> Services:
    route_library_logs(_settings.data_dir)
    return Services(_settings)


def _build_warmup(fingerprint: str, _services: Services) -> ModelWarmup:
    return ModelWarmup(_services)


@functools.cache
def _cached_builders():
    """The builders wrapped in ``st.cache_resource`` (wrapped once; streamlit imported lazily)."""
    import streamlit as st

    services = st.cache_resource(show_spinner=False, on_release=lambda svc: svc.close())(_build_services)
    warmup = st.cache_resource(show_spinner=False)(_build_warmup)
    return services, warmup


@functools.cache
def pending_signatures() -> dict:
    """user id -> :class:`app.ui.state.PendingSignature`, for this process (survives OIDC redirects)."""
    return {}


def get_services(settings: Settings) -> Services:
    """The process-wide :class:`Services` for ``settings`` (built once, closed on release)."""
    return _cached_builders()[0](settings_fingerprint(settings), settings)


def get_warmup(settings: Settings, services: Services) -> ModelWarmup:
    """The process-wide model warm-up for ``services`` (started once)."""
    return _cached_builders()[1](settings_fingerprint(settings), services)
