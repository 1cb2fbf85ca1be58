"""The SearchIndex protocol: the queries Kho asks of its index, and the documents it indexes.

The index is a cache of the object store: everything in it is rebuilt by `kho reindex`.
Every implementation (indexer/engines/embedded.py, indexer/engines/elasticsearch.py) passes
the same contract tests (tests/contract/test_search_index.py). Status is never stored: the
index keeps the dates and events a status depends on (archive.status.Validity) and filters
on them for the day asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from kho.archive.reuse import SignaturePolicy
from kho.archive.status import Status, Validity

__all__ = [
    "FACET_FIELDS",
    "Hit",
    "IndexDocument",
    "LookupQuery",
    "Rebuild",
    "ResultPage",
    "SearchIndex",
    "SearchQuery",
]

# The fields search results are counted by, in the order a UI shows them.
FACET_FIELDS = ("result_type", "procedure_code", "issuer_code", "status")


@dataclass(frozen=True)
class IndexDocument:
    """One record as the index sees it: filter fields, searchable text, the stored view."""

    record_id: str
    version: int  # the manifest version; an older version never overwrites a newer one
    issuer_code: str
    result_code: str
    dossier_code: str | None
    procedure_code: str
    procedure_name: str
    result_type: str
    subject_ids: tuple[str, ...]
    subject_names: tuple[str, ...]
    issued_on: date
    validity: Validity
    indication: str | None
    deposited_at: datetime
    text: str
    # The record's JSON view without `status` and the reuse verdict (computed per request),
    # returned with hits.
    record: Mapping[str, Any]

    def meta_text(self) -> str:
        """The names and codes full-text queries run over, beside the content text."""
        return "\n".join(
            [
                self.result_type,
                self.procedure_name,
                " ".join(self.subject_names),
                self.result_code,
                self.dossier_code or "",
                self.procedure_code,
            ]
        )

    def filter_fields(self) -> dict[str, Any]:
        """The exact fields every engine filters and sorts on, dates as ISO text."""
        v = self.validity

        def iso(day: date | None) -> str | None:
            return day.isoformat() if day is not None else None

        return {
            "record_id": self.record_id,
            "version": self.version,
            "issuer_code": self.issuer_code,
            "result_code": self.result_code,
            "dossier_code": self.dossier_code,
            "procedure_code": self.procedure_code,
            "result_type": self.result_type,
            "indication": self.indication,
            "issued_on": self.issued_on.isoformat(),
            "valid_from": v.valid_from.isoformat(),
            "valid_until": iso(v.valid_until),
            "revoked_on": iso(v.revoked_on),
            "superseded_on": iso(v.superseded_on),
            "disposed": v.disposed,
            "deposited_at": self.deposited_at.isoformat(),
        }


@dataclass(frozen=True)
class LookupQuery:
    """The reuse question: which results of this subject may be reused on `valid_on`?

    Unless `include_invalid`, only reusable results count (archive.reuse.reuse_on): valid
    on the day and signed with a verdict `signature_policy` accepts. The engine applies
    this inside its query, so `total` and the pages count only those."""

    subject_id: str
    valid_on: date
    procedure_code: str | None = None
    result_type: str | None = None
    indication: str | None = None  # the signature verdict: TOTAL-PASSED, INDETERMINATE, ...
    include_invalid: bool = False
    signature_policy: SignaturePolicy = SignaturePolicy.total_passed
    # An agency key may be limited to some procedures or result types (None: no limit).
    allowed_procedure_codes: frozenset[str] | None = None
    allowed_result_types: frozenset[str] | None = None
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class SearchQuery:
    """Full text (`q`, may be empty) with exact filters; `status` is judged on `today`."""

    today: date
    q: str = ""
    procedure_code: str | None = None
    result_type: str | None = None
    indication: str | None = None  # the signature verdict: TOTAL-PASSED, INDETERMINATE, ...
    issuer_code: str | None = None
    subject_id: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    status: Status | None = None
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class Hit:
    record_id: str
    record: Mapping[str, Any]
    validity: Validity
    indication: str | None = None  # the signature verdict of the indexed manifest version
    score: float = 0.0
    highlights: Mapping[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ResultPage:
    hits: tuple[Hit, ...]
    total: int
    facets: Mapping[str, list[tuple[str, int]]] = field(default_factory=dict)


class Rebuild(Protocol):
    """A new index being filled from the object store; readers see the old one until commit."""

    def add(self, documents: Sequence[IndexDocument]) -> None: ...

    def commit(self) -> None:
        """Atomically replace the index's content with what was added."""
        ...

    def abort(self) -> None: ...


@runtime_checkable
class SearchIndex(Protocol):
    name: str

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        """Add or replace documents; searchable when this returns (refresh on write).

        A document whose `version` is lower than the indexed one is ignored. Raises
        IndexUnavailable if the engine cannot be reached in time.
        """
        ...

    def delete(self, record_ids: Iterable[str]) -> None: ...

    def get(self, record_id: str) -> Hit | None:
        """The indexed view of one record, or None if it is not indexed."""
        ...

    def lookup(self, query: LookupQuery) -> ResultPage:
        """Records of one subject, only the reusable ones on the day unless
        `include_invalid`, newest first (issued_on descending, then record_id), exact
        filters only, no facets."""
        ...

    def search(self, query: SearchQuery) -> ResultPage:
        """Full text over the folded and the original text (exact forms rank first), every
        query word required, with the filters, facets over FACET_FIELDS and highlights."""
        ...

    def count(self) -> int: ...

    def rebuild(self) -> Rebuild: ...

    def check(self) -> None:
        """Raise IndexUnavailable unless the engine answers now."""
        ...

    def close(self) -> None: ...
