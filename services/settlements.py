"""Settlement notices from the one-door system: validated like deposits, kept in the object
store, idempotent on (issuer_code, result_code), each one audited.

A notice says a result was settled; matched with the deposits it tells what is still
waiting to be digitized (the backlog, services/indicators.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kho.archive.agencies import AgencyRegistry
from kho.archive.errors import InvalidMetadata
from kho.archive.settlement import (
    SettlementNotice,
    SettlementStore,
    StoredNotice,
    differing,
    parse_notice,
)
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends
from kho.services.errors import AccessDenied, Conflict, UnknownAgency

__all__ = ["SettlementOutcome", "SettlementService"]


@dataclass(frozen=True)
class SettlementOutcome:
    outcome: str  # created | existing
    notice: dict[str, Any]


class SettlementService:
    def __init__(
        self, backends: Backends, audit: AuditService, registry: AgencyRegistry | None
    ) -> None:
        self.b = backends
        self.audit = audit
        self.registry = registry
        self.store = SettlementStore(backends.store)

    def notify(self, raw: object, access: Access) -> SettlementOutcome:
        """Keep a notice: `created`, or `existing` for the same notice again; Conflict for
        another notice of a result already notified."""
        notice = parse_notice(raw)
        self._check(notice, access)
        stored = StoredNotice(notice=notice, received_at=self.b.now(), received_by=access.actor)
        held = self.store.put(stored)
        if held is not None:
            changed = differing(held.notice, notice)
            if changed:
                raise Conflict(
                    f"{notice.issuer_code} result {notice.result_code} was notified already "
                    f"with other {', '.join(changed)}",
                    fields=changed,
                )
            stored, outcome = held, "existing"
        else:
            outcome = "created"
        self.audit.record(
            "settlement",
            access,
            outcome=outcome,
            detail={"notice": notice.fields()},
        )
        return SettlementOutcome(outcome, self.view(stored))

    def _check(self, notice: SettlementNotice, access: Access) -> None:
        today = self.b.today()
        if notice.settled_on > today:
            raise InvalidMetadata(
                f"invalid settlement notice: settled_on: is after today ({today.isoformat()})",
                errors=[{"field": "settled_on", "message": f"is after today ({today})"}],
            )
        if self.registry is not None:
            if notice.issuer_code not in self.registry.agencies:
                raise UnknownAgency(
                    f"unknown agency {notice.issuer_code} (not in KHO_AGENCY_REGISTRY)",
                    field="issuer_code",
                    errors=[{"field": "issuer_code", "message": "not in the agency registry"}],
                )
            level = self.registry.level(notice.issuer_code)
            if level is not None and level != notice.level:
                raise InvalidMetadata(
                    f"invalid settlement notice: level: {notice.issuer_code} is a {level}-level "
                    "agency in the registry",
                    errors=[{"field": "level", "message": f"the registry says {level}"}],
                )
        if not access.may_act_for(notice.issuer_code):
            raise AccessDenied(
                f"this API key notifies only for its own agency ({access.actor.agency}) or "
                f"those it acts for; not {notice.issuer_code}",
                field="issuer_code",
            )

    def view(self, stored: StoredNotice) -> dict[str, Any]:
        notice = stored.notice
        claim = self.b.packages.find_claim(notice.issuer_code, notice.result_code)
        return {
            **notice.fields(),
            "received_at": stored.received_at.astimezone(self.b.settings.zone).isoformat(),
            "record_id": claim.record_id if claim else None,
            "digitized": claim is not None,
        }
