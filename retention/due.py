"""What falls due: the records whose retention has ended on a day (CONTRACT.md "Retention").

`retain_until` is the last day a record must be kept; it is due on a day D when
`retain_until < D`, and never while permanent. A held record stays in the due list, marked
`held`; nothing here deletes anything (disposal needs an approved decision,
retention/disposal.py). A disposed record is no longer due.

The due list is read from the object store, the system of record: every visible record's
latest manifest, streamed (an archive of millions is never held in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from kho.archive.errors import ObjectNotFound
from kho.archive.manifest import EventType, Manifest, Retention
from kho.archive.package import Packages
from kho.retention.holds import Hold, holding

__all__ = ["DueFilter", "DueRecord", "DueScan", "falls_due"]


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
    holds: tuple[str, ...] = ()

    @property
    def record_id(self) -> str:
        return self.manifest.record_id

    @property
    def action(self) -> str:
        return self.manifest.retention.action


@dataclass(frozen=True)
class DueFilter:
    """Narrow the due list (the records manager's page filters)."""

    result_type: str | None = None
    issuer_code: str | None = None
    action: str | None = None
    held: bool | None = None

    def accepts(self, item: DueRecord) -> bool:
        m = item.manifest
        return (
            (self.result_type is None or m.result_type == self.result_type)
            and (self.issuer_code is None or m.issuer_code == self.issuer_code)
            and (self.action is None or item.action == self.action)
            and (self.held is None or item.held == self.held)
        )


class DueScan:
    """The records due on `as_of`, found one by one (a long archive streams); `checked`
    counts the records looked at so far, `held` the due ones under a legal hold."""

    def __init__(
        self,
        packages: Packages,
        as_of: date,
        holds: Sequence[Hold] = (),
        where: DueFilter | None = None,
        manifests: Callable[[], Iterator[Manifest]] | None = None,
    ) -> None:
        self.as_of = as_of
        self.checked = 0
        self.due = 0
        self.held = 0
        self._packages = packages
        self._holds = holds
        self._where = where or DueFilter()
        self._manifests = manifests

    def _all(self) -> Iterator[Manifest]:
        if self._manifests is not None:
            yield from self._manifests()
            return
        for claim in self._packages.claims():
            try:
                yield self._packages.latest_manifest(claim.record_id)
            except ObjectNotFound:
                continue

    def __iter__(self) -> Iterator[DueRecord]:
        for manifest in self._all():
            self.checked += 1
            retention = manifest.retention
            if manifest.event(EventType.disposed) is not None:
                continue
            if not falls_due(retention, self.as_of):
                continue
            assert retention.retain_until is not None
            holds = holding(self._holds, manifest)
            item = DueRecord(
                manifest=manifest,
                retain_until=retention.retain_until,
                held=bool(holds),
                holds=holds,
            )
            if not self._where.accepts(item):
                continue
            self.due += 1
            self.held += item.held
            yield item
