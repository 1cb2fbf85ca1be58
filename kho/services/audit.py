"""The audit service: every access to a citizen's data and every change, as a chained event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kho.archive.audit import AuditEvent, ChainReport
from kho.services.base import Access, Backends

__all__ = ["AuditService"]


class AuditService:
    def __init__(self, backends: Backends) -> None:
        self.b = backends

    def record(
        self,
        action: str,
        access: Access,
        *,
        outcome: str = "ok",
        record_ids: Iterable[str] = (),
        subject_ids: Iterable[str] = (),
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Append an event; returns once it is durable (call before answering)."""
        actor = access.actor.model_dump(exclude_none=True)
        full_detail = dict(detail or {})
        if access.request_id:
            full_detail["request_id"] = access.request_id
        return self.b.trail.append(
            at=self.b.now(),
            action=action,
            actor=actor,
            outcome=outcome,
            purpose=access.purpose,
            record_ids=tuple(record_ids),
            subject_ids=tuple(subject_ids),
            detail=full_detail,
        )

    def verify(self) -> ChainReport:
        return self.b.trail.verify()
