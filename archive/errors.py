"""What can go wrong in the archive layer: bad deposits, missing objects, unreachable stores."""

from __future__ import annotations

from kho.errors import Conflict, KhoError, NotFound, Unavailable

__all__ = [
    "ArchiveError",
    "InvalidKey",
    "InvalidMetadata",
    "ObjectExists",
    "ObjectNotFound",
    "ObjectProtected",
    "StoreUnavailable",
    "UnknownAgency",
]


class ArchiveError(KhoError):
    """Base of the archive layer's errors."""


class InvalidMetadata(ArchiveError):
    problem_type = "invalid-metadata"
    title = "Invalid metadata"


class UnknownAgency(ArchiveError):
    """The issuer is not in the agency registry (KHO_AGENCY_REGISTRY), when one is set."""

    problem_type = "unknown-agency"
    title = "Unknown agency"


class ObjectNotFound(ArchiveError, NotFound):
    """No object under that key (the ObjectStore contract)."""


class ObjectExists(ArchiveError, Conflict):
    """A create-only write found the key taken (the other writer won)."""

    title = "Already exists"


class InvalidKey(ArchiveError):
    """An object key that could escape the store's namespace (`..`, absolute, odd characters)."""

    problem_type = "invalid-key"
    title = "Invalid object key"


class StoreUnavailable(ArchiveError, Unavailable):
    title = "Object store unavailable"


class ObjectProtected(ArchiveError):
    """The object is under write-once retention or a legal hold and cannot be removed."""

    problem_type = "object-protected"
    title = "Protected by retention"
