"""The audit-event index on Elasticsearch: alias `<KHO_ES_INDEX>-audit` over one concrete index.

A rebuild fills a fresh concrete index and moves the alias in one step, so readers see the
old events until the new index is complete. Client errors become IndexUnavailable here;
nothing above this module sees an Elasticsearch exception.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from ulid import ULID

from kho.archive.audit import AuditEvent
from kho.indexer.errors import IndexUnavailable
from kho.indexer.events import AuditQuery, EventPage, utc_text
from kho.settings import Settings

__all__ = ["ElasticsearchAuditIndex"]

_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "seq": {"type": "long"},
        "event_id": {"type": "keyword"},
        "at": {"type": "date", "format": "strict_date_optional_time_nanos"},
        "action": {"type": "keyword"},
        "agency": {"type": "keyword"},
        "user": {"type": "keyword"},
        "purpose": {"type": "keyword"},
        "subject_ids": {"type": "keyword"},
        "record_ids": {"type": "keyword"},
        "event": {"type": "object", "enabled": False},
    },
}
_THROUGH_ID = "_kho_through"


class ElasticsearchAuditIndex:
    """The AuditIndex protocol on Elasticsearch 9."""

    name = "elasticsearch"

    def __init__(self, client: Elasticsearch, alias: str) -> None:
        self.client = client
        self.alias = alias
        self._meta = f"{alias}-meta"
        self._ready = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticsearchAuditIndex:
        client = Elasticsearch(
            settings.es_url,
            request_timeout=settings.backend_timeout_s,
            max_retries=1,
            retry_on_timeout=False,
        )
        return cls(client, f"{settings.es_index}-audit")

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except (ApiError, TransportError) as exc:
            raise IndexUnavailable(
                f"Elasticsearch audit index error while {doing}: {exc}"
            ) from None

    def _create_concrete(self) -> str:
        name = f"{self.alias}-{str(ULID()).lower()}"
        self.client.indices.create(
            index=name,
            mappings=_MAPPING,
            # Deep pages up to the 100,000 results every list serves (paging.check_paging).
            settings={"number_of_shards": 1, "number_of_replicas": 0, "max_result_window": 100_000},
        )
        return name

    def _ensure(self) -> None:
        if self._ready:
            return
        with self._errors("opening the audit index"):
            if not self.client.indices.exists_alias(name=self.alias):
                name = self._create_concrete()
                try:
                    self.client.indices.put_alias(index=name, name=self.alias)
                except ApiError:
                    # Another process made the alias first: use theirs.
                    self.client.indices.delete(index=name)
            else:
                # An index made before a field was added (`user`) gains it; events indexed
                # before carry it after `kho audit reindex`.
                self.client.indices.put_mapping(
                    index=self.alias, properties={"user": _MAPPING["properties"]["user"]}
                )
            if not self.client.indices.exists(index=self._meta):
                with contextlib.suppress(ApiError):
                    self.client.indices.create(
                        index=self._meta,
                        mappings={"dynamic": "strict", "properties": {"value": {"type": "long"}}},
                        settings={"number_of_shards": 1, "number_of_replicas": 0},
                    )
        self._ready = True

    @staticmethod
    def _doc(event: AuditEvent) -> dict[str, Any]:
        return {
            "seq": event.seq,
            "event_id": event.event_id,
            "at": utc_text(event.at),
            "action": event.action,
            "agency": event.actor.get("agency"),
            "user": event.actor.get("user"),
            "purpose": event.purpose,
            "subject_ids": list(event.subject_ids),
            "record_ids": list(event.record_ids),
            "event": event.to_json(),
        }

    def _bulk(self, index: str, events: Sequence[AuditEvent], refresh: bool) -> None:
        operations: list[dict[str, Any]] = []
        for event in events:
            operations.append({"index": {"_index": index, "_id": str(event.seq)}})
            operations.append(self._doc(event))
        response = self.client.bulk(operations=operations, refresh=refresh)
        if response.get("errors"):
            failed = next(
                (item["index"]["error"] for item in response["items"] if "error" in item["index"]),
                "unknown error",
            )
            raise IndexUnavailable(f"Elasticsearch refused audit events: {failed}")

    def add(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        self._ensure()
        with self._errors("indexing events"):
            self._bulk(self.alias, events, refresh=True)

    def query(self, query: AuditQuery) -> EventPage:
        self._ensure()
        filters: list[dict[str, Any]] = []
        for name, field in (
            ("subject_id", "subject_ids"),
            ("record_id", "record_ids"),
            ("agency", "agency"),
            ("user", "user"),
            ("action", "action"),
            ("purpose", "purpose"),
        ):
            value = getattr(query, name)
            if value is not None:
                filters.append({"term": {field: value}})
        if query.actions is not None:
            filters.append({"terms": {"action": list(query.actions)}})
        if query.seqs is not None:
            filters.append({"terms": {"seq": [int(s) for s in query.seqs]}})
        span: dict[str, str] = {}
        if query.since is not None:
            span["gte"] = utc_text(query.since)
        if query.until is not None:
            span["lt"] = utc_text(query.until)
        if span:
            filters.append({"range": {"at": span}})
        with self._errors("querying events"):
            response = self.client.search(
                index=self.alias,
                query={"bool": {"filter": filters}},
                sort=[{"seq": "desc"}],
                from_=(query.page - 1) * query.page_size,
                size=query.page_size,
                track_total_hits=True,
                source_includes=["event"],
            )
        hits = response["hits"]
        return EventPage(
            items=tuple(h["_source"]["event"] for h in hits["hits"]),
            total=int(hits["total"]["value"]),
        )

    def indexed_through(self) -> int:
        self._ensure()
        with self._errors("reading the watermark"):
            try:
                through = int(self.client.get(index=self._meta, id=_THROUGH_ID)["_source"]["value"])
            except NotFoundError:
                through = 0
            start = through
            while True:
                response = self.client.search(
                    index=self.alias,
                    query={"range": {"seq": {"gt": through}}},
                    sort=[{"seq": "asc"}],
                    size=5000,
                    source=False,
                    docvalue_fields=[{"field": "seq"}],
                )
                seqs = [int(h["fields"]["seq"][0]) for h in response["hits"]["hits"]]
                gap = False
                for seq in seqs:
                    if seq != through + 1:
                        gap = True
                        break
                    through = seq
                if gap or len(seqs) < 5000:
                    break
            if through != start:
                self.client.index(index=self._meta, id=_THROUGH_ID, document={"value": through})
        return through

    def last_seq(self) -> int:
        self._ensure()
        with self._errors("reading"):
            response = self.client.search(
                index=self.alias, size=0, aggs={"last": {"max": {"field": "seq"}}}
            )
        value = response["aggregations"]["last"]["value"]
        return int(value or 0)

    def replace_all(self, events: Iterable[AuditEvent]) -> int:
        self._ensure()
        count = 0
        with self._errors("rebuilding"):
            old = list(self.client.indices.get_alias(name=self.alias))
            name = self._create_concrete()
            try:
                chunk: list[AuditEvent] = []
                for event in events:
                    chunk.append(event)
                    if len(chunk) >= 1000:
                        self._bulk(name, chunk, refresh=False)
                        count += len(chunk)
                        chunk = []
                if chunk:
                    self._bulk(name, chunk, refresh=False)
                    count += len(chunk)
                self.client.indices.refresh(index=name)
                actions: list[dict[str, Any]] = [
                    {"remove": {"index": o, "alias": self.alias}} for o in old
                ]
                actions.append({"add": {"index": name, "alias": self.alias}})
                self.client.indices.update_aliases(actions=actions)
            except BaseException:
                with contextlib.suppress(ApiError, TransportError):
                    self.client.indices.delete(index=name)
                raise
            for o in old:
                with contextlib.suppress(ApiError):
                    self.client.indices.delete(index=o)
            with contextlib.suppress(ApiError):
                self.client.delete(index=self._meta, id=_THROUGH_ID, refresh=True)
        return count

    def check(self) -> None:
        with self._errors("checking"):
            self.client.cluster.health(timeout="2s")
        self._ensure()

    def close(self) -> None:
        self.client.close()
