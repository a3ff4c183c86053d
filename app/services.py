"""The service container shared by the CLI and the UI.

Built once per process from a :class:`~app.settings.Settings`. Heavy components (the
embedding model, the Chroma index, the chat model, the SQLite store) are created lazily on
first use and then reused, so a Streamlit rerun or a second CLI call in the same process
never loads them again.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from app.settings import Settings

if TYPE_CHECKING:  # imported lazily: each pulls in a heavy dependency
    from langchain_core.language_models import BaseChatModel

    from app.calllog import CallLog
    from app.critique.catalogue import Catalogue
    from app.llm import LLMClient
    from app.registry.store import Store
    from ingest.index import SourceIndex


class Services:
    """Lazily built, process-wide components."""

    def __init__(self, settings: Settings, *, chat_model: "BaseChatModel | None" = None) -> None:
        self.settings = settings
        self._closers: list = []
        if chat_model is not None:  # an embedding application or a test supplies its own model
            self.__dict__["chat_model"] = chat_model

    @cached_property
    def index(self) -> "SourceIndex":
        """The source index (Chroma + embedding model + manifest)."""
        from ingest.index import SourceIndex

        self.settings.ensure_dirs()
        index = SourceIndex.open(self.settings)
        self._closers.append(index.close)
        return index

    @cached_property
    def store(self) -> "Store":
        """The SQLite store of drafts, versions, approvals and the audit log."""
        from app.registry.store import Store

        self.settings.ensure_dirs()
        store = Store(self.settings.db_path)
        self._closers.append(store.close)
        return store

    @cached_property
    def call_log(self) -> "CallLog":
        """The append-only log of every LLM call."""
        from app.calllog import CallLog

        self.settings.ensure_dirs()
        return CallLog(self.settings.call_log_path)

    @cached_property
    def chat_model(self) -> "BaseChatModel":
        """The configured chat model (the embedded local model by default)."""
        from app.llm import make_chat_model

        self.settings.ensure_dirs()
        model, closer = make_chat_model(self.settings)
        if closer is not None:
            self._closers.append(closer)
        return model

    @cached_property
    def llm(self) -> "LLMClient":
        """The chat model behind the data policy and the call log: every LLM call goes here."""
        from app.llm import LLMClient, model_name
        from app.privacy import policy_for

        provider = self.settings.llm.provider
        return LLMClient(
            model=self.chat_model,
            provider=provider,
            model_name=model_name(self.settings),
            policy=policy_for(self.settings, provider),
            call_log=self.call_log,
        )

    @cached_property
    def catalogue(self) -> "Catalogue":
        """The critique rule catalogue, with the team's overrides applied."""
        from app.critique.catalogue import load_catalogue

        return load_catalogue(self.settings.critique.rules_path)

    def close(self) -> None:
        """Release what was opened (the local model server, database connections)."""
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:  # noqa: BLE001 - closing must not mask the real outcome
                pass
