"""The indicator aggregate: Decision 468's figures pre-aggregated by day, a cache like the
indexes.

It holds three kinds of facts, each derived from the object store and the audit trail
(services/indicator_feed.py) and so rebuildable from them (`kho reindex`):
- a settlement notice: a result the one-door system says was settled on a day;
- a deposit: that result held by Kho from a day on (its record, its signature verdict);
- a reuse event: an audited lookup or content read on a day (did it find a reusable result,
  was it by an agency other than the result's issuer, whom and which dossier it served).
Facts taken from the trail carry the event's `seq` and are applied exactly once, in order,
together with the aggregate's watermark (the last `seq` applied), so the aggregate is in
step with the trail and a crash or a second process never counts an event twice. The one
implementation is SQLite (indexer/engines/embedded_indicators.py), on every stack: it is a
local, rebuildable view of the shared store and trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "DAY_BUCKETS",
    "DepositFact",
    "Facts",
    "GroupFigures",
    "IndicatorAggregate",
    "IndicatorFigures",
    "NoticeFact",
    "NoticeQuery",
    "NoticeRow",
    "ReuseFact",
]

GroupBy = Literal["level", "issuer_code", "procedure_code"]
Figure = Literal["lookups", "lookups_found", "downloads_by_other_agencies"]

# Days from settlement to deposit, as buckets (first day, last day; None: no end). A result
# deposited before its notice's day counts as 0.
DAY_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 0),
    (1, 1),
    (2, 3),
    (4, 7),
    (8, 30),
    (31, 90),
    (91, None),
)


@dataclass(frozen=True)
class NoticeFact:
    issuer_code: str
    result_code: str
    dossier_code: str
    procedure_code: str
    level: str
    settled_on: date
    result_form: str


@dataclass(frozen=True)
class DepositFact:
    """A result held: the earliest deposit under its (issuer_code, result_code) counts."""

    issuer_code: str
    result_code: str
    record_id: str
    deposited_on: date
    signed: bool  # TOTAL-PASSED when deposited
    origin: str


@dataclass(frozen=True)
class ReuseFact:
    seq: int
    day: date
    kind: Literal["lookup", "download"]
    found: bool = False  # a lookup that returned at least one reusable result
    other_agency: bool = False  # a content read by an agency other than the issuer
    subject_ids: tuple[str, ...] = ()
    dossier_code: str | None = None

    @property
    def serves(self) -> bool:
        """Whether it spared someone a paper: a lookup that found, a read by another agency."""
        return self.found if self.kind == "lookup" else self.other_agency


@dataclass
class Facts:
    """What one slice of the trail (or of the store) adds."""

    notices: list[NoticeFact] = field(default_factory=list)
    deposits: list[DepositFact] = field(default_factory=list)
    reuse: list[ReuseFact] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.notices) + len(self.deposits) + len(self.reuse)


@dataclass(frozen=True)
class GroupFigures:
    key: str
    settled: int
    digitized: int
    signed: int
    # Digitized results by days from settlement to deposit, one count per DAY_BUCKETS entry.
    days: tuple[int, ...]

    @property
    def waiting(self) -> int:
        return self.settled - self.digitized


@dataclass(frozen=True)
class IndicatorFigures:
    start: date
    end: date
    totals: GroupFigures
    groups: tuple[GroupFigures, ...]
    lookups: int
    lookups_found: int
    downloads_by_other_agencies: int
    subjects_served: int
    dossiers_served: int
    through_seq: int


@dataclass(frozen=True)
class NoticeQuery:
    """Notices settled in [start, end] (either open), digitized by `as_of` or still waiting."""

    start: date | None = None
    end: date | None = None
    as_of: date | None = None  # the day "digitized" is judged on (default: end, else no limit)
    state: Literal["all", "digitized", "waiting"] = "all"
    issuer_code: str | None = None
    level: str | None = None
    procedure_code: str | None = None
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class NoticeRow:
    notice: NoticeFact
    record_id: str | None
    deposited_on: date | None
    signed: bool | None


@runtime_checkable
class IndicatorAggregate(Protocol):
    def watermark(self) -> int:
        """The last trail `seq` applied (0 if none)."""
        ...

    def apply(self, through_seq: int, facts: Facts) -> bool:
        """Apply the facts of the trail's events up to `through_seq` at once with moving the
        watermark there; reuse facts at or below the watermark are skipped (applied
        already). Notices and deposits are idempotent upserts. False if the watermark was
        at or past `through_seq` already (nothing done)."""
        ...

    def rebuild(self, slices: Iterable[tuple[int, Facts]]) -> int:
        """Empty the aggregate and fill it from `slices` (the store's facts with seq 0,
        then the trail's, each slice with the last seq it covers) in one transaction that
        readers do not see until it is done. Returns the watermark reached."""
        ...

    def figures(self, start: date, end: date, group_by: GroupBy | None) -> IndicatorFigures: ...

    def notices(self, query: NoticeQuery) -> tuple[list[NoticeRow], int]: ...

    def reuse_seqs(
        self, figure: Figure, start: date, end: date, page: int, page_size: int
    ) -> tuple[list[int], int]:
        """The trail seqs of the events behind one reuse figure, oldest first, and how many."""
        ...

    def close(self) -> None: ...
