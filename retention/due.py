"""What falls due: the records whose retention has ended on a day (CONTRACT.md "Retention").

`retain_until` is the last day a record must be kept; it is due on a day D when
`retain_until < D`, and never while permanent. A held record stays in the due list, marked
`held`; nothing here deletes anything (disposal needs an approved decision).

The due list is read from the object store, the system of record: every visible record's
latest manifest. The services expose it (`Services.retention`); the CLI and the API print it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from kho.archive.manifest import Manifest, Retention
from kho.archive.package import Packages

__all__ = ["DueRecord", "DueScan", "RetentionService", "falls_due"]


def falls_due(retention: Retention, day: date) -> bool:
    """Whether a record kept under `retention` is due on `day`: its last day to be kept
    has passed (never while permanent)."""
    return retention.retain_until is not None and retention.retain_until < day


@dataclass(frozen=True)
class DueRecord:
    """One record due on the day asked, as its latest manifest says."""

    manifest: Manifest
    retain_until: date
    held: bool

    @property
    def record_id(self) -> str:
        return self.manifest.record_id


class DueScan:
    """The records due on `as_of`, found one by one (a long archive streams); `checked`
    counts the records looked at so far, `held` the due ones under a legal hold."""

    def __init__(self, packages: Packages, as_of: date) -> None:
        self.as_of = as_of
        self.checked = 0
        self.due = 0
        self.held = 0
        self._packages = packages

    def __iter__(self) -> Iterator[DueRecord]:
        for claim in self._packages.claims():
            self.checked += 1
            manifest = self._packages.latest_manifest(claim.record_id)
            retention = manifest.retention
            if not falls_due(retention, self.as_of):
                continue
            assert retention.retain_until is not None
            held = bool(retention.holds)
            self.due += 1
            self.held += held
            yield DueRecord(manifest=manifest, retain_until=retention.retain_until, held=held)


class RetentionService:
    """The retention questions asked of the archive; more (holds, disposal) come here."""

    def __init__(self, packages: Packages, today: Callable[[], date]) -> None:
        self._packages = packages
        self._today = today

    def due(self, as_of: date | None = None) -> DueScan:
        """The records due on `as_of` (default today in KHO_TIMEZONE)."""
        return DueScan(self._packages, as_of or self._today())
