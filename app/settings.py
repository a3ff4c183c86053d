"""One settings object for the whole application.

Built once at an entry point (CLI, UI, tests) and passed down; nothing reads the
environment at import time. Environment variables use the ``SOPDRAFT_`` prefix and
``__`` for nesting, e.g. ``SOPDRAFT_LLM__PROVIDER=openai``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Provider = Literal["local", "openai", "anthropic", "ollama", "openai-compatible", "fake"]
DataPolicy = Literal["redact", "block", "allow"]


class LLMSettings(BaseModel):
    """Which chat model drafts, and how it is reached."""

    provider: Provider = "local"
    model: str = Field("", description="Model name for remote providers; empty picks the provider default.")
    base_url: str = Field("", description="Base URL for openai-compatible or ollama providers.")
    api_key: SecretStr | None = None
    temperature: float = 0.0
    max_tokens: int = 2048
    timeout_s: float = Field(900.0, description="Per call; the embedded model on 2 busy cores can take minutes.")
    local_providers: list[str] = Field(
        default_factory=lambda: ["local", "ollama", "fake"],
        description="Providers whose calls never leave this machine; anything else is remote.",
    )
    # Embedded local model (xllamacpp serving a GGUF file on 127.0.0.1).
    gguf_path: Path | None = Field(None, description="Use this GGUF file instead of the embedded model.")
    gguf_sha256: str = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    chat_template: str = "chatml"
    n_ctx: int = 8192
    n_threads: int = Field(
        0, ge=0, description="Threads generating tokens on a quiet machine; 0 = all cores (benchmarks/bench_load.py).",
    )
    busy_threads: int = Field(
        1, ge=0, description="Threads generating tokens for a draft that starts while other processes keep half a "
        "core or more busy; 0 = half the cores. Threads that lose their core to another process stall each other "
        "at every step, so on 2 cores two threads beside a busy process are slower than one (bench_load.py).",
    )
    concurrent_calls: int = Field(
        2, ge=1, le=8, description="Drafting calls in flight at once (the local server gets as many slots); "
        "the fake provider always answers one at a time, in order.",
    )
    drafts_at_once: int = Field(
        1, ge=1, le=16, description="Drafts that use the model at the same time, across every process sharing "
        "the store; more wait in line and are told how many drafts are ahead of them.",
    )
    n_threads_batch: int = Field(0, ge=0, description="Threads evaluating the prompt; 0 = all cores.")
    poll: int = Field(
        0, ge=0, le=100, description="How hard idle llama.cpp workers spin (0-100); 0 sleeps, so a draft "
        "never competes with itself or with another process for a core it is not using.",
    )
    fake_responses: list[str] = Field(
        default_factory=list, description="Canned replies for the fake provider (tests, demos)."
    )

    def stays_on_machine(self, provider: str | None = None) -> bool:
        """Whether calls to ``provider`` (default: the configured one) never leave this machine:
        a provider in ``local_providers``, or the configured OpenAI-compatible server on a
        loopback address (such as ``sopdraft model serve``)."""
        provider = provider or self.provider
        if provider in self.local_providers:
            return True
        if provider == self.provider == "openai-compatible" and self.base_url:
            from urllib.parse import urlsplit

            return is_loopback(urlsplit(self.base_url).hostname or "")
        return False


class PrivacySettings(BaseModel):
    """What may leave the machine."""

    remote_policy: DataPolicy = Field("redact", description="Applied to every call to a non-local provider.")
    local_policy: DataPolicy = Field("allow", description="Applied to calls to local providers.")
    known_names: list[str] = Field(
        default_factory=list, description="People's names always masked (redact) or refused (block), e.g. the team."
    )


class IngestSettings(BaseModel):
    """Ingest limits and chunking."""

    max_file_mb: float = 50.0
    max_load_seconds: float = Field(60.0, gt=0, description="Time one file's text extraction may take.")
    max_expanded_mb: float = Field(100.0, gt=0, description="Size a DOCX may expand to when unzipped.")
    chunk_size: int = 1000
    chunk_overlap: int = 100
    embed_batch_size: int = 32
    write_batch_chunks: int = Field(512, ge=1, description="Chunks embedded and written per crash-safe step.")
    chroma_url: str = Field("", description="Use a Chroma server at this URL instead of the embedded store "
                            "(needed when several processes share one index).")
    lock_timeout_s: float = Field(1800.0, gt=0, description="How long an ingest waits for another ingest of "
                                  "the same index to finish.")
    collection: str = "sopdraft"


class RetrievalSettings(BaseModel):
    """How evidence is found."""

    k: int = 5
    evidence_per_section: int = 3
    min_score: float = Field(0.12, description="Chunks less similar than this to a section's query are not its evidence.")
    hybrid: bool = Field(
        False, description="Fuse BM25 with dense search (RRF). Off by default: on the labelled handbook "
        "questions it lowered recall@5 from 0.93 to 0.82 (benchmarks/bench_search.py).",
    )


class DraftingSettings(BaseModel):
    """How a draft is written."""

    design: Literal["questions", "groups"] = Field(
        "questions", description="questions: the model reads the task's documents once and answers one short "
        "question per template field; groups: sections drafted as JSON in eight groups, each from its own "
        "retrieved chunks (the earlier design, kept as the benchmark's baseline).",
    )
    search_pool: int = Field(24, ge=1, description="Chunks a search for the task returns to find its documents.")
    max_documents: int = Field(3, ge=1, description="Documents a draft is written from at most.")
    document_margin: float = Field(
        0.10, ge=0, description="A document whose best chunk is this much less similar to the task than the best "
        "document's is not the task's.")
    min_document_score: float = Field(0.2, description="A document less similar than this is never the task's.")
    source_chars: int = Field(
        6000, ge=500, description="Source text shown to the model at most; longer documents are cut to their "
        "most relevant sentences. Prompt evaluation of these ~1,300 tokens is most of the time to the first section.")


class CritiqueSettings(BaseModel):
    """Where team rules live."""

    rules_path: Path | None = Field(None, description="A team YAML catalogue that adds, disables or re-levels rules.")
    llm_advisory: bool = False


class RegistrySettings(BaseModel):
    """Where drafts and approvals are stored, and where approved SOPs go."""

    database_url: SecretStr | None = Field(
        None, description="postgresql://user:password@host:port/db to share one store across a team; "
        "empty: the SQLite file in the data dir.",
    )
    database_timeout_s: float = Field(10.0, gt=0, description="Connecting to, or waiting for a lock in, the database.")

    path: Path | None = Field(None, description="Registry folder; default <data_dir>/registry.")
    templates_dir: Path | None = Field(None, description="A team folder of export templates overriding templates/.")
    git_commit: bool = True
    formats: list[Literal["md", "docx", "json"]] = Field(
        default_factory=lambda: ["md", "docx", "json"], description="Files written per exported version."
    )
    due_within_days: int = Field(30, ge=0, description="`sopdraft due` lists reviews due within this many days.")
    signatures: list[Literal["reviewed", "approved"]] = Field(
        default_factory=lambda: ["approved"], min_length=1,
        description="Signatures an SOP needs before export, in order; e.g. ['reviewed', 'approved'].")
    independent_approval: bool = Field(
        True, description="Refuse approval by the person who authored the last content change.")


class AuthSettings(BaseModel):
    """Sign-in, sessions and re-authentication."""

    session_hours: float = Field(12.0, gt=0, description="Lifetime of a `sopdraft login` session token.")
    # Argon2id cost: argon2-cffi's RFC 9106 low-memory profile, above OWASP's minimum (19 MiB, t=2, p=1).
    # Raising it makes each account rehash at its next sign-in.
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_kib: int = Field(65536, ge=8)
    argon2_parallelism: int = Field(4, ge=1)
    idle_timeout_minutes: float = Field(30.0, gt=0, description="The UI signs a user out after this much idleness.")
    lockout_attempts: int = Field(5, ge=1)
    lockout_minutes: float = Field(15.0, gt=0, description="Failures within this window lock for as long again.")
    reauth_max_age_s: int = Field(300, ge=10, description="An OIDC re-login older than this does not count for signing.")
    oidc_roles_claim: str = Field("", description="Take roles from this ID-token claim (empty: admins assign them).")
    oidc_provider: str = Field("", description="The [auth.NAME] section of secrets.toml to sign in with ('' = [auth]).")
    oidc_reauth_provider: str = Field(
        "", description="The [auth.NAME] section used to re-authenticate before signing: the same provider with "
        "client_kwargs = { prompt = 'login' } and authorize_params = { max_age = 0 } ('' = oidc_provider). "
        "Streamlit refuses section names with '_'.")
    ingest_roots: list[Path] = Field(
        default_factory=list, description="Server folders the UI may ingest from when it listens beyond loopback.")


def default_data_dir() -> Path:
    """The per-user data directory used when none is configured."""
    return Path(user_data_dir("sopdraft", appauthor=False))


class Settings(BaseSettings):
    """All configuration of sopdraft."""

    model_config = SettingsConfigDict(
        env_prefix="SOPDRAFT_", env_nested_delimiter="__", env_file=None, extra="ignore"
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    drafting: DraftingSettings = Field(default_factory=DraftingSettings)
    critique: CritiqueSettings = Field(default_factory=CritiqueSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)

    # Derived locations: all state lives under data_dir.
    @property
    def index_dir(self) -> Path:
        """Chroma's persistent folder and the ingest manifest."""
        return self.data_dir / "index"

    @property
    def db_path(self) -> Path:
        """The SQLite store of drafts, versions, approvals and the audit log."""
        return self.data_dir / "sopdraft.db"

    @property
    def models_dir(self) -> Path:
        """Where the joined GGUF file is kept."""
        return self.data_dir / "models"

    @property
    def keys_dir(self) -> Path:
        """The registry key pair (mode 0700); kept outside the database on purpose."""
        return self.data_dir / "keys"

    @property
    def session_path(self) -> Path:
        """The CLI's session token after `sopdraft login` (mode 0600)."""
        return self.data_dir / "session.token"

    @property
    def call_log_path(self) -> Path:
        """Append-only JSON-lines log of every LLM call."""
        return self.data_dir / "llm_calls.jsonl"

    @property
    def registry_dir(self) -> Path:
        """The registry folder approved SOPs are exported to."""
        return self.registry.path or (self.data_dir / "registry")

    def ensure_dirs(self) -> None:
        """Create the data directory tree (idempotent)."""
        for d in (self.data_dir, self.index_dir, self.models_dir):
            d.mkdir(parents=True, exist_ok=True)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (a host name other than localhost may resolve anywhere)."""
    import ipaddress

    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

