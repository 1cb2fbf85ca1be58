"""The SearchIndex protocol: the queries Kho asks of its index, and the documents it indexes.

The index is a cache of the object store: everything in it is rebuilt by `kho reindex`.
Every implementation (indexer/engines/embedded.py, indexer/engines/elasticsearch.py) passes
the same contract tests (tests/contract/test_search_index.py). Status is never stored: the
index keeps the dates and events a status depends on (archive.status.Validity) and filters
on them for the day asked.

What the index keeps of a record comes from the record model: its filter fields are the
fields archive/model.py marks `Indexed` (as the view shows them), then the standing facts
below; both engines derive their columns and mappings from `FILTER_FIELDS`, and the stored
view is archive/view.py's `StoredView`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from kho.archive.manifest import Manifest
from kho.archive.model import Indexed, IndexedField, indexed_fields
from kho.archive.reuse import SignaturePolicy
from kho.archive.status import Status, Validity, validity_of
from kho.archive.view import StoredView, stored_view

__all__ = [
    "COUNT_BOUND",
    "FACET_FIELDS",
    "FILTER_FIELDS",
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

# A search counts its matches up to this many (and its facets count those): beyond it the
# total is reported as a lower bound (`total_relation` "gte"), as Elasticsearch's
# track_total_hits does, so a common word costs no pass over every match. Not ES's 10,000:
# at 1,000,000 records on the 2-core bench machine, 10,000 candidates cost the embedded
# engine 120-300 ms a search, 2,000 cost 25-60 ms (an archive from bench/bulk.py).
COUNT_BOUND = 2_000


# The exact fields every engine filters and sorts on: the record model's indexed fields,
# then the standing facts a status and the reuse verdict are judged from.
FILTER_FIELDS: dict[str, IndexedField] = {
    **indexed_fields(StoredView),
    "indication": IndexedField(Indexed.keyword, optional=True),
    "revoked_on": IndexedField(Indexed.day, optional=True),
    "superseded_on": IndexedField(Indexed.day, optional=True),
    "disposed": IndexedField(Indexed.flag, optional=False),
    "deposited_at": IndexedField(Indexed.instant, optional=False),
}


def _json(value: Any) -> Any:
    """A filter value as both engines take it: days and instants as ISO text."""
    return value.isoformat() if isinstance(value, date | datetime) else value


@dataclass(frozen=True)
class IndexDocument:
    """One record as the index sees it: filter fields, searchable text, the stored view.

    `of` makes it from a manifest; the named fields are those the engines' queries use,
    `facts` any further indexed field of the record model (by name, JSON values)."""

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
    facts: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, manifest: Manifest, text: str, zone: ZoneInfo) -> IndexDocument:
        """The document of a manifest's record, with its extracted text."""
        view = stored_view(manifest, zone).to_json()
        return cls(
            record_id=manifest.record_id,
            version=manifest.version,
            issuer_code=manifest.issuer_code,
            result_code=manifest.result_code,
            dossier_code=manifest.dossier_code,
            procedure_code=manifest.procedure_code,
            procedure_name=manifest.procedure_name,
            result_type=manifest.result_type,
            subject_ids=tuple(s.id for s in manifest.subjects),
            subject_names=tuple(s.name for s in manifest.subjects),
            issued_on=manifest.issued_on,
            validity=validity_of(manifest, zone),
            indication=manifest.signature.indication,
            deposited_at=manifest.provenance.deposited_at,
            text=text,
            record=view,
            facts={name: view[name] for name in FILTER_FIELDS if name in view},
        )

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
        """FILTER_FIELDS' values, dates as ISO text: the named fields, the validity facts,
        then the further facts of the record model."""
        v = self.validity
        known: dict[str, Any] = {
            **dict(self.facts),
            "record_id": self.record_id,
            "version": self.version,
            "issuer_code": self.issuer_code,
            "result_code": self.result_code,
            "dossier_code": self.dossier_code,
            "procedure_code": self.procedure_code,
            "result_type": self.result_type,
            "indication": None if self.indication is None else str(self.indication),
            "issued_on": self.issued_on,
            "valid_from": v.valid_from,
            "valid_until": v.valid_until,
            "revoked_on": v.revoked_on,
            "superseded_on": v.superseded_on,
            "disposed": v.disposed,
            "deposited_at": self.deposited_at,
        }
        return {name: _json(known.get(name)) for name in FILTER_FIELDS}


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
    # "eq": `total` is every match; "gte": there are more, `total` is a lower bound (a
    # search counts up to COUNT_BOUND matches, and its facets count those).
    total_relation: str = "eq"


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
    # How many matches a search counts (and its facets count) before it reports its
    # total as a lower bound (COUNT_BOUND unless a test sets it lower).
    count_bound: int

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
