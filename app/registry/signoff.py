"""The sign-off service: every state-changing action on a draft, for an authenticated identity.

The CLI and the UI both call this one service; they only collect input and render results.
It decides who may do what (roles, the assigned owner, independent approval, the signatures
a team requires) and re-authenticates every signature; :mod:`app.registry.workflow` does the
state transitions, :mod:`app.registry.export` writes the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal

from app.auth.accounts import Accounts, AuthError, Identity, PermissionDenied
from app.auth.permissions import MEANING_PERMISSION, Permission
from app.models import SOP, Draft, Flag
from app.registry import workflow
from app.registry.errors import ApprovalError, WorkflowError
from app.registry.keys import RegistryKey
from app.registry.records import (
    SYSTEM,
    DraftRecord,
    DriftItem,
    DueItem,
    ExportResult,
    Signature,
    SignatureMeaning,
    SignatureRecord,
    User,
    Waiver,
)
from app.registry.signatures import make_signature, signature_problem
from app.registry.store import Store, utcnow

if TYPE_CHECKING:
    from app.settings import Settings

DEFAULT_REVIEW_MONTHS = workflow.DEFAULT_REVIEW_MONTHS


@dataclass(frozen=True)
class PasswordProof:
    """Re-authentication by typing the local password again."""

    password: str
    method: Literal["password"] = "password"


@dataclass(frozen=True)
class OidcProof:
    """Re-authentication by a fresh OIDC login: the ID token's ``auth_time`` and when signing was requested."""

    auth_time: datetime
    requested_at: datetime
    method: Literal["oidc"] = "oidc"


Proof = PasswordProof | OidcProof


class SignoffService:
    """Submit, assign owners, edit, waive, sign, export, and the review cycle, for signed-in users."""

    def __init__(self, store: Store, accounts: Accounts, key: RegistryKey, settings: "Settings", *,
                 critique: Callable[[Draft], list[Flag]],
                 source_hashes: Callable[[], dict[str, str] | None] = lambda: None) -> None:
        self.store = store
        self.accounts = accounts
        self.key = key
        self.settings = settings
        self._critique = critique
        self._source_hashes = source_hashes

    # -- reading: the one place findings and blockers are decided ------------------------------
    def flags(self, record: DraftRecord) -> list[Flag]:
        """The critique of this exact version plus the source-drift flags attached to it."""
        try:
            found = self._critique(record.draft)
        except Exception as exc:  # noqa: BLE001 - e.g. a broken team catalogue: one clear line
            raise WorkflowError(f"critique of {record.draft_id} failed, so nothing can be waived or signed "
                                f"off: {exc}") from exc
        return found + self.store.flags(record.draft_id, record.version, origin="drift")

    def blockers(self, record: DraftRecord, flags: list[Flag] | None = None) -> list[Flag]:
        """Blockers of ``record`` that no waiver covers."""
        return workflow.unresolved_blockers(self.flags(record) if flags is None else flags, record.waivers)

    def owner(self, draft_id: str) -> User | None:
        """The draft's assigned owner."""
        owner_id = self.store.owner_id(draft_id)
        return self.accounts.get(owner_id) if owner_id else None

    def signatures(self, record: DraftRecord) -> list[Signature]:
        """Valid signatures over this version's exact content (on it or on an earlier version with the same text)."""
        content, public = record.draft.sop.content_hash(), self.key.public_key()
        return [sig for sig in self.store.signatures(record.draft_id)
                if signature_problem(sig, public, draft_id=record.draft_id, version=sig.record.version,
                                     content_hash=content) is None]

    def next_signature(self, record: DraftRecord) -> SignatureMeaning | None:
        """The next signature the team requires on this text (None when all are there)."""
        given = {s.record.meaning for s in self.signatures(record)}
        return next((m for m in self.settings.registry.signatures if m not in given), None)

    def last_content_author(self, record: DraftRecord) -> str:
        """The user id of whoever last changed the content (not just the state) of this draft."""
        history = self.store.history(record.draft_id)
        by_version = {h.version: h for h in history}
        version = record.version
        while version > 1 and by_version[version - 1].content_hash == by_version[version].content_hash:
            version -= 1
        return by_version[version].author_id

    def sign_problems(self, identity: Identity, record: DraftRecord, meaning: SignatureMeaning,
                      flags: list[Flag] | None = None) -> list[str]:
        """Everything that stops ``identity`` from signing ``record`` with ``meaning`` (empty: may sign)."""
        problems: list[str] = []
        if record.version != record.latest_version:
            problems.append(f"v{record.version} is not the latest version (v{record.latest_version})")
        if record.status != "in_review":
            problems.append(f"v{record.version} is {record.status}; submit it for review first (signatures are "
                            "given on a version in review)")
        if not identity.can(MEANING_PERMISSION[meaning]):
            problems.append(f"signing '{meaning}' needs the {'approver' if meaning == 'approved' else 'reviewer'} "
                            f"role; {identity.user.full_name} has {', '.join(sorted(identity.roles)) or 'no roles'}")
        required = self.settings.registry.signatures
        given = {s.record.meaning for s in self.signatures(record)}
        if meaning in given:
            problems.append(f"this text already has a '{meaning}' signature")
        if meaning in required:
            missing = [m for m in required[:required.index(meaning)] if m not in given]
            problems += [f"the '{m}' signature must come first" for m in missing]
        if meaning == "approved":
            owner = self.owner(record.draft_id)
            if owner is None:
                problems.append("no owner is assigned; submit it with an owner first")
            elif owner.user_id != identity.user.user_id:
                problems.append(f"only the SOP's owner, {owner.full_name}, may approve it")
            if self.settings.registry.independent_approval and \
                    self.last_content_author(record) == identity.user.user_id:
                problems.append("you wrote the last change to this text; independent approval needs someone else "
                                "to have written it (registry.independent_approval)")
            for flag in self.blockers(record, flags):
                problems.append(f"unresolved blocker {flag.flag_id} [{flag.rule}] in {flag.section}: {flag.message} "
                                "(fix it or waive it with a reason)")
        return problems

    # -- actions ------------------------------------------------------------------------------
    def create_draft(self, identity: Identity, draft: Draft) -> DraftRecord:
        """Store a new draft (version 1) authored by ``identity``."""
        identity.require(Permission.DRAFT, "create drafts")
        return self.store.create_draft(draft, actor=identity.actor)

    def edit(self, identity: Identity, draft_id: str, sop: SOP, *, reason: str, expected_version: int,
             base: Draft | None = None) -> DraftRecord:
        """Save an edit (or a regenerated section, with ``base``) as a new unapproved version."""
        identity.require(Permission.EDIT, "edit drafts")
        return workflow.edit(self.store, draft_id, sop, actor=identity.actor, reason=reason,
                             expected_version=expected_version, base=base)

    def submit(self, identity: Identity, draft_id: str, *, owner_login: str | None = None,
               expected_version: int | None = None) -> DraftRecord:
        """Send the latest version for review with its owner (a user), SOP id and review cadence filled in."""
        identity.require(Permission.SUBMIT, "submit drafts for review")
        owner = self.owner(draft_id)
        if owner_login:
            owner = self._owner_user(owner_login)
        if owner is None:
            raise WorkflowError("choose the SOP's owner: a user with the approver role (--owner LOGIN)")
        if self.store.owner_id(draft_id) != owner.user_id:
            self.assign_owner(identity, draft_id, owner.login, at_submit=True)

        def prepare(conn, draft: Draft) -> Draft:  # noqa: ANN001 - the store's connection
            meta = draft.sop.metadata
            update = {"owner_name": owner.full_name, "owner_role": owner.job_title or meta.owner_role,
                      "sop_id": meta.sop_id or self.store.allocate_sop_id(conn, draft_id),
                      "review_cadence_months": meta.review_cadence_months or DEFAULT_REVIEW_MONTHS}
            sop = draft.sop.model_copy(update={"metadata": meta.model_copy(update=update)})
            return draft.model_copy(update={"sop": sop})

        return workflow.submit_for_review(self.store, draft_id, actor=identity.actor,
                                          expected_version=expected_version, prepare=prepare)

    def _owner_user(self, login: str) -> User:
        try:
            owner = self.accounts.by_login(login)
        except AuthError as exc:
            raise WorkflowError(f"no user {login!r} to make the owner; an admin adds users") from exc
        if owner.disabled or "approver" not in owner.roles:
            raise WorkflowError(f"{owner.full_name} cannot own an SOP: the owner needs the approver role and an "
                                "active account")
        return owner

    def assign_owner(self, identity: Identity, draft_id: str, owner_login: str, *, at_submit: bool = False) -> User:
        """Make ``owner_login`` the SOP's owner: at submit time, or later by an admin or the current owner."""
        current = self.owner(draft_id)
        if not at_submit and not identity.can(Permission.ASSIGN_OWNER) and \
                (current is None or current.user_id != identity.user.user_id):
            raise PermissionDenied("only an admin or the current owner may change an SOP's owner")
        self.store.get_draft(draft_id)  # NotFound for an unknown draft
        owner = self._owner_user(owner_login)
        with self.store.transaction() as conn:
            self.store.set_owner(conn, draft_id, owner.user_id, actor=identity.actor)
        return owner

    def waive(self, identity: Identity, draft_id: str, flag_id: str, *, reason: str) -> Waiver:
        """Waive one current finding with a written reason (reviewers)."""
        identity.require(Permission.WAIVE, "waive findings")
        record = self.store.get_draft(draft_id)
        return workflow.waive(self.store, draft_id, flag_id, reason=reason, actor=identity.actor,
                              flags=self.flags(record))

    def verify_proof(self, identity: Identity, proof: Proof) -> Identity:
        """Re-authenticate ``identity`` for a signature; :class:`AuthError` when the proof does not hold."""
        if isinstance(proof, PasswordProof):
            if not identity.user.has_password:
                raise AuthError("this account signs in with OIDC; sign in again with your provider to sign")
            return self.accounts.reauthenticate(identity, proof.password)
        if identity.method != "oidc":
            raise AuthError("re-authenticate with your password to sign")
        now = utcnow()
        age = (now - proof.auth_time).total_seconds()
        if proof.auth_time < proof.requested_at or age > self.settings.auth.reauth_max_age_s:
            raise AuthError("signing needs a fresh sign-in with your provider after you asked to sign "
                            f"(within {self.settings.auth.reauth_max_age_s} s)")
        return identity

    def sign(self, identity: Identity, draft_id: str, meaning: SignatureMeaning, *, proof: Proof, confirm: bool,
             expected_version: int | None = None, today: date | None = None) -> DraftRecord:
        """Sign the latest version: ``reviewed`` records a review, ``approved`` makes the approved version.

        Needs the meaning's role, the confirmation that the signer read this exact text, and a
        re-authentication (``proof``) even inside a signed-in session.
        """
        record = self.store.get_draft(draft_id)
        if expected_version is not None and expected_version != record.version:
            raise WorkflowError(f"draft {draft_id} is at v{record.version}, not v{expected_version}; "
                                "reload it and review the latest version")
        flags = self.flags(record)
        problems = self.sign_problems(identity, record, meaning, flags)
        if not confirm:
            problems.append("confirm that you read this exact text and its cited sources")
        if problems:
            raise ApprovalError(problems)
        signer = self.verify_proof(identity, proof)

        def sign(draft: Draft, version: int) -> Signature:
            return make_signature(self.key, SignatureRecord(
                draft_id=draft_id, version=version, sop_id=draft.sop.metadata.sop_id, meaning=meaning,
                signer_id=signer.user.user_id, signer_name=signer.user.full_name, signer_title=signer.user.job_title,
                signed_at=utcnow(), content_hash=draft.sop.content_hash(), key_id=self.key.fingerprint(),
                auth_method=proof.method))

        if meaning == "reviewed":
            with self.store.transaction() as conn:
                self.store.check_expected(conn, draft_id, record.draft, record.version)
                self.store.add_signature(conn, sign(record.draft, record.version))
            return self.store.get_draft(draft_id, record.version)
        owner = self.owner(draft_id)
        return workflow.approve(self.store, record, owner=owner.actor,
                                owner_role=owner.job_title or record.draft.sop.metadata.owner_role,
                                approver=signer.actor, flags=flags, sign=sign, today=today,
                                current_source_hashes=self._source_hashes())

    def export(self, identity: Identity, draft_id: str, *, registry_dir: Path | None = None,
               version: int | None = None, git_commit: bool | None = None) -> ExportResult:
        """Write an approved version with every required signature to the registry."""
        from app.registry.export import export

        identity.require(Permission.EXPORT, "export SOPs")
        record = self.store.get_draft(draft_id, version)
        signatures = self.signatures(record) if record.approval else []
        missing = [m for m in self.settings.registry.signatures if m not in {s.record.meaning for s in signatures}]
        if record.approval and missing:
            raise ApprovalError([f"v{record.version} lacks the '{m}' signature the registry requires" for m in missing])
        cfg = self.settings.registry
        return export(self.store, draft_id, registry_dir or self.settings.registry_dir, formats=tuple(cfg.formats),
                      templates_dir=cfg.templates_dir, git_commit=cfg.git_commit if git_commit is None else git_commit,
                      version=record.version, actor=identity.actor, key=self.key, signatures=signatures)

    # -- the review cycle ------------------------------------------------------------------------
    def due(self, today: date | None = None, within_days: int | None = None) -> list[DueItem]:
        """SOPs whose review is overdue, due within the configured window, or brought forward by drift."""
        from app.registry.review import due

        days = self.settings.registry.due_within_days if within_days is None else within_days
        return due(self.store, today or date.today(), days)

    def check_drift(self, identity: Identity | None = None) -> list[DriftItem]:
        """Flag approved SOPs whose cited sources changed or disappeared (recorded once per change)."""
        from app.registry.review import check_drift

        if identity is not None:
            identity.require(Permission.CHECK_DRIFT, "check for source drift")
        return check_drift(self.store, self._source_hashes() or {}, actor=identity.actor if identity else SYSTEM)
