"""Errors raised by the registry: each message says what is wrong and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.registry.diff import SectionDiff


class RegistryError(Exception):
    """Base of every error the registry raises on purpose (the CLI prints it as one line)."""


class NotFound(RegistryError, KeyError):
    """No such draft or version."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0]) if self.args else "not found"


class ConflictError(RegistryError):
    """A save was based on an older version than the latest one (optimistic lock)."""

    def __init__(self, message: str, *, diff: list["SectionDiff"], latest_version: int) -> None:
        super().__init__(message)
        self.diff = diff
        self.latest_version = latest_version


class WorkflowError(RegistryError):
    """The requested transition is not allowed in the draft's current state."""


class ApprovalError(WorkflowError):
    """Sign-off refused; ``missing`` lists every unmet requirement."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("cannot approve: " + "; ".join(missing))
        self.missing = missing


class WaiverError(WorkflowError):
    """A waiver was refused (unknown flag, trivial reason, unnamed person)."""


class IntegrityError(RegistryError):
    """Stored content no longer matches what was approved or recorded."""


class ExportError(RegistryError):
    """Export refused or failed; nothing was written to the registry."""


class UnsafeNameError(ExportError):
    """An id or title cannot be turned into a safe file or folder name."""


class InvalidDraftError(RegistryError):
    """A draft breaks a bound of the template (e.g. a title over 200 characters); nothing was stored."""
