"""Liveness and readiness: which backends answer now."""

from __future__ import annotations

from kho.errors import KhoError
from kho.services.base import Backends

__all__ = ["HealthService"]


class HealthService:
    def __init__(self, backends: Backends) -> None:
        self.b = backends

    def readiness(self) -> dict[str, dict[str, str]]:
        checks: dict[str, dict[str, str]] = {}
        for role, backend in (
            ("store", self.b.store),
            ("index", self.b.index),
            ("extractor", self.b.extractor),
        ):
            try:
                backend.check()
                checks[role] = {"backend": backend.name, "status": "ok"}
            except KhoError as exc:
                checks[role] = {"backend": backend.name, "status": "down", "detail": exc.detail}
        return checks
