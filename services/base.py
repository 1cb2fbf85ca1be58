"""What every service is built on: the backends, the clock and who is asking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from kho.archive.audit import AuditTrail
from kho.archive.audit.anchor import CheckpointAnchor
from kho.archive.manifest import Actor
from kho.archive.package import Packages
from kho.archive.store import ObjectStore
from kho.indexer.events import AuditIndex
from kho.indexer.extract import Extractor
from kho.indexer.index import SearchIndex
from kho.retention.schedule import RetentionSchedule
from kho.settings import Settings

__all__ = ["Access", "Backends", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Access:
    """Who is asking and why: recorded with every read of a citizen's data."""

    actor: Actor
    purpose: str | None = None  # the dossier being processed (X-Dossier-Code)
    request_id: str | None = None
    # Limits of an agency's API key (None: no limit).
    allowed_procedure_codes: frozenset[str] | None = None
    allowed_result_types: frozenset[str] | None = None
    # The agencies an API key deposits, supersedes and revokes for: its own and those named
    # with --on-behalf-of. None: its actor's own agency if it is an agency's, else any (an
    # operator at the CLI, a person, the system).
    acts_for: frozenset[str] | None = None
    # An operator at Kho's own console (the CLI), who can read the store anyway: may search
    # without naming a dossier; audited all the same.
    console: bool = False

    @classmethod
    def system(cls, purpose: str | None = None) -> Access:
        return cls(actor=Actor(user="system"), purpose=purpose)

    def permits(self, procedure_code: str, result_type: str) -> bool:
        """Whether this caller's key limits allow reading a result of this kind."""
        if (
            self.allowed_procedure_codes is not None
            and procedure_code not in self.allowed_procedure_codes
        ):
            return False
        return self.allowed_result_types is None or result_type in self.allowed_result_types

    def may_act_for(self, agency: str) -> bool:
        """Whether this caller may deposit, supersede or revoke results of `agency`."""
        if self.acts_for is not None:
            return agency in self.acts_for
        if self.actor.user is None and self.actor.agency is not None:
            return agency == self.actor.agency
        return True

    @property
    def limited(self) -> bool:
        return self.allowed_procedure_codes is not None or self.allowed_result_types is not None


@dataclass
class Backends:
    settings: Settings
    store: ObjectStore
    index: SearchIndex
    extractor: Extractor
    packages: Packages
    trail: AuditTrail
    schedule: RetentionSchedule
    audit_index: AuditIndex
    clock: Callable[[], datetime] = utc_now
    # Where the audit trail's signed checkpoints are kept (None: not anchored).
    anchor: CheckpointAnchor | None = None

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().astimezone(self.settings.zone).date()

    def close(self) -> None:
        for backend in (self.index, self.audit_index, self.extractor, self.store, self.anchor):
            if backend is not None:
                backend.close()
