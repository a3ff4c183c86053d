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

    from app.auth.accounts import Accounts
    from app.calllog import CallLog
    from app.critique.catalogue import Catalogue
    from app.drafting.queue import DraftQueue
    from app.llm import ChatModels, LLMClient
    from app.registry.keys import RegistryKey
    from app.registry.signoff import SignoffService
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
    def registry_key(self) -> "RegistryKey":
        """The registry's Ed25519 key (created on first use, outside the database)."""
        from app.registry.keys import RegistryKey

        return RegistryKey.load_or_create(self.settings.keys_dir)

    @cached_property
    def store(self) -> "Store":
        """The store (SQLite, or PostgreSQL with registry.database_url) of drafts, versions, approvals,
        accounts and the keyed audit log."""
        from app.registry.store import Store

        self.settings.ensure_dirs()
        url = self.settings.registry.database_url
        store = Store(url.get_secret_value() if url else self.settings.db_path, key=self.registry_key,
                      timeout_s=self.settings.registry.database_timeout_s)
        self._closers.append(store.close)
        return store

    @cached_property
    def accounts(self) -> "Accounts":
        """Users, sign-in with lockout, sessions and API tokens."""
        from datetime import timedelta

        from app.auth.accounts import Accounts, LockoutPolicy
        from app.auth.passwords import make_hasher

        auth = self.settings.auth
        window = timedelta(minutes=auth.lockout_minutes)
        hasher = make_hasher(auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism)
        return Accounts(self.store, hasher=hasher, lockout=LockoutPolicy(auth.lockout_attempts, window, window))

    @cached_property
    def signoff(self) -> "SignoffService":
        """The one service for submit, edit, waive, sign, export and the review cycle."""
        from app.critique import critique_draft
        from app.registry.signoff import SignoffService

        return SignoffService(self.store, self.accounts, self.registry_key, self.settings,
                              critique=lambda draft: critique_draft(draft, self.catalogue),
                              source_hashes=self.indexed_source_hashes)

    def indexed_source_hashes(self) -> dict[str, str] | None:
        """source -> sha256 of every ingested source; None when nothing was ingested yet."""
        if not (self.settings.index_dir / "manifest.json").exists():
            return None
        return self.index.source_hashes()

    @cached_property
    def call_log(self) -> "CallLog":
        """The append-only log of every LLM call."""
        from app.calllog import CallLog

        self.settings.ensure_dirs()
        return CallLog(self.settings.call_log_path)

    @cached_property
    def chat_models(self) -> "ChatModels":
        """The configured chat model (the embedded local model by default), and how to pick it per draft."""
        from app.llm import ChatModels, make_chat_model

        if "chat_model" in self.__dict__:  # supplied by an embedding application or a test
            return ChatModels(self.__dict__["chat_model"])
        self.settings.ensure_dirs()
        models = make_chat_model(self.settings)
        if models.close is not None:
            self._closers.append(models.close)
        return models

    @cached_property
    def chat_model(self) -> "BaseChatModel":
        """The configured chat model."""
        return self.chat_models.model

    @cached_property
    def llm(self) -> "LLMClient":
        """The chat model behind the data policy and the call log: every LLM call goes here."""
        from app.llm import LLMClient, model_name
        from app.privacy import policy_for

        provider = self.settings.llm.provider
        return LLMClient(
            model=self.chat_model,
            choose_model=self.chat_models.for_draft,
            provider=provider,
            model_name=model_name(self.settings),
            policy=policy_for(self.settings, provider),
            call_log=self.call_log,
            # The fake answers canned replies in order: concurrent calls would shuffle them.
            concurrency=1 if provider == "fake" else self.settings.llm.concurrent_calls,
            # The embedded llama.cpp server streams, so a runaway reply can be cut off.
            stream_json=provider == "local",
            # One draft at a time uses this process's own server (the draft queue), so its
            # questions can all go to the first slot.
            text_slot=0 if provider == "local" else None,
        )

    @cached_property
    def draft_queue(self) -> "DraftQueue":
        """The queue drafts wait in for the model (in the store, so every process shares it)."""
        from app.drafting.queue import DraftQueue

        return DraftQueue(self.store, self.settings.llm.drafts_at_once, max_wait_s=self.settings.llm.timeout_s * 4)

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
