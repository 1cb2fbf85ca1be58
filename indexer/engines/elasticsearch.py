"""The distributed search engine: Elasticsearch 9, answering exactly as the embedded engine.

Readers and writers use the alias `<prefix>-records` over one concrete index
(`<prefix>-records-v<stamp>`), created with explicit mappings. Text is cut into words and
folded in Python (indexer/folding.py) the same way as in the embedded engine, because the
distribution used here has no `asciifolding`: the original words go to `meta`/`body`, their
folded forms to `meta_folded`/`body_folded`, all with the standard analyzer (which
lower-cases). Status is never stored: filters and the status facet are range and bool
queries on the dates, built for the day asked (no scripts: that distribution has no
painless). Highlights are made in Python (indexer/highlight.py) on the stored text.

A rebuild fills a new concrete index, reachable meanwhile as `<prefix>-records-building`;
every upsert is sent to both aliases (the second write simply fails when no rebuild is under
way), and at commit whatever was indexed live since the rebuild began is copied over too
(closing the gap between its start and the creation of that alias), so deposits arriving
during a rebuild are not lost. The manifest version is the document's external version
(`external_gte`), so a stale write never replaces a newer one, in either order. Commit swaps
the alias in one atomic alias update and deletes the old index. Every client error becomes
IndexUnavailable.

Longer than Kho's usual module on purpose: the alias, the rebuild and the versioned bulk
writes are one protocol over shared state (the two aliases, readiness, the lock), which
split apart would have to be exposed. How a record is laid out (elasticsearch_mapping.py)
and the queries (elasticsearch_queries.py) are apart.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from kho.archive.status import Status
from kho.indexer.engines.elasticsearch_mapping import (
    HIT_SOURCE,
    SETTINGS,
    mappings,
    properties,
    restored,
    source_of,
    validity_of_source,
)
from kho.indexer.engines.elasticsearch_queries import (
    SIGNATURE_QUERY,
    facets_of,
    status_queries,
    text_queries,
)
from kho.indexer.errors import IndexUnavailable
from kho.indexer.highlight import hit_highlights, query_terms
from kho.indexer.index import (
    COUNT_BOUND,
    FACET_FIELDS,
    Hit,
    IndexDocument,
    LookupQuery,
    ResultPage,
    SearchQuery,
)

if TYPE_CHECKING:
    from kho.settings import Settings

__all__ = ["ElasticsearchIndex"]

T = TypeVar("T")

BULK_DOCUMENTS = 500
_BULK_RETRIES = 5


class _IndexMissing(Exception):
    """The alias or index is gone (e.g. deleted by hand); recreate it and try again."""


class _ElasticsearchRebuild:
    """A new concrete index, filled by `add`, made live by `commit`."""

    def __init__(self, index: ElasticsearchIndex) -> None:
        self._index = index
        self._started = datetime.now(UTC)
        self.name = index._new_index_name()
        index._start_building(self.name)

    def add(self, documents: Sequence[IndexDocument]) -> None:
        now = datetime.now(UTC)
        self._index._bulk_index(
            [(self.name, d.record_id, d.version, source_of(d, now)) for d in documents],
            refresh=False,
        )

    def commit(self) -> None:
        self._index._catch_up(self.name, since=self._started)
        self._index._go_live(self.name)

    def abort(self) -> None:
        self._index._drop_index(self.name)


class ElasticsearchIndex:
    """The SearchIndex protocol on Elasticsearch 9."""

    name = "elasticsearch"

    def __init__(
        self, url: str, prefix: str, *, timeout_s: float = 10.0, count_bound: int = COUNT_BOUND
    ) -> None:
        self.count_bound = count_bound
        self.url = url
        self.prefix = prefix
        self.alias = f"{prefix}-records"
        self.building_alias = f"{prefix}-records-building"
        self.timeout_s = timeout_s
        self._es = Elasticsearch(
            url,
            request_timeout=timeout_s,
            # Connection failures are retried (a write is idempotent by its version); a
            # timeout is not, so an overloaded engine gives a quick 503 rather than a pile-up.
            max_retries=2,
            retry_on_status=(429, 502, 503, 504),
            retry_on_timeout=False,
            retry_backoff_base=0.1,
            retry_backoff_cap=1.0,
        )
        self._ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticsearchIndex:
        return cls(settings.es_url, settings.es_index, timeout_s=settings.backend_timeout_s)

    # -- errors, names, the alias ----------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except ApiError as exc:
            if exc.message == "index_not_found_exception":
                raise _IndexMissing(str(exc)) from None
            raise IndexUnavailable(
                f"Elasticsearch refused {doing}: {exc.meta.status} {exc.message}"[:400]
            ) from None
        except TransportError as exc:
            raise IndexUnavailable(
                f"Elasticsearch at {self.url} did not answer while {doing} ({exc.message})"[:400]
            ) from None

    def _call(self, doing: str, action: Callable[[], T]) -> T:
        """Run `action` on the live alias, recreating it once if it has gone."""
        for attempt in (1, 2):
            self._ensure()
            try:
                with self._errors(doing):
                    return action()
            except _IndexMissing as exc:
                self._ready = False
                if attempt == 2:
                    raise IndexUnavailable(
                        f"the index {self.alias} is missing and could not be recreated: {exc}"
                    ) from None
        raise AssertionError("unreachable")

    def _new_index_name(self) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        return f"{self.alias}-v{stamp}{secrets.token_hex(3)}"

    def _create_index(self, name: str, aliases: Mapping[str, Any]) -> None:
        self._es.indices.create(
            index=name,
            settings=SETTINGS,
            mappings=mappings(self.prefix),
            aliases=aliases,
            wait_for_active_shards="1",
        )

    def _ensure(self) -> None:
        """Create the first concrete index behind the alias if there is none. Its name is
        fixed, so two processes starting at once cannot each create one."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with contextlib.suppress(_IndexMissing), self._errors("preparing the index"):
                if self._es.indices.exists_alias(name=self.alias):
                    # An index made before a filter field existed gets its mapping (empty
                    # for the records indexed then, until `kho reindex`).
                    self._es.indices.put_mapping(index=self.alias, properties=properties())
                    self._ready = True
                    return
            first = f"{self.alias}-v0"
            try:
                with self._errors("creating the index"):
                    self._create_index(first, {self.alias: {}})
            except IndexUnavailable as exc:
                if "resource_already_exists_exception" not in exc.detail:
                    raise
                with self._errors("creating the index"):
                    if not self._es.indices.exists_alias(name=self.alias):
                        self._es.indices.update_aliases(
                            actions=[{"add": {"index": first, "alias": self.alias}}]
                        )
            self._ready = True

    def _indices_behind(self, alias: str) -> list[str]:
        try:
            with self._errors(f"reading the alias {alias}"):
                try:
                    return sorted(self._es.indices.get_alias(name=alias).body)
                except NotFoundError:  # no such alias
                    return []
        except _IndexMissing:
            return []

    def _own_indices(self) -> dict[str, Any]:
        """Every concrete index this prefix created (found by pattern, kept by _meta)."""
        try:
            with self._errors("listing indices"):
                found = self._es.indices.get(
                    index=f"{self.alias}-v*", allow_no_indices=True, ignore_unavailable=True
                ).body
        except _IndexMissing:
            return {}
        return {
            name: info
            for name, info in found.items()
            if (info.get("mappings", {}).get("_meta") or {}).get("kho_prefix") == self.prefix
        }

    def _drop_index(self, name: str) -> None:
        with contextlib.suppress(_IndexMissing), self._errors(f"deleting the index {name}"):
            self._es.indices.delete(index=name)

    # -- writing ---------------------------------------------------------------------------

    def _bulk(self, operations: list[dict[str, Any]], *, refresh: bool) -> list[dict[str, Any]]:
        """Send operations (action, source pairs or lone deletes); return the items that
        failed for any reason other than a version conflict, retrying those the engine
        rejected for load (back-pressure) with a growing pause."""
        pending = operations
        failed: list[dict[str, Any]] = []
        for attempt in range(_BULK_RETRIES + 1):
            with self._errors("indexing"):
                response = self._es.bulk(
                    operations=pending, refresh="wait_for" if refresh else False
                ).body
            if not response.get("errors"):
                return failed
            retry: list[dict[str, Any]] = []
            position = 0
            for item in response["items"]:
                ((kind, result),) = item.items()
                action = pending[position]
                size = 1 if kind == "delete" else 2
                ops = pending[position : position + size]
                position += size
                status = int(result.get("status", 500))
                if "error" not in result or status == 409:
                    # done, or an equal or newer version is there already
                    continue
                if status == 429 and attempt < _BULK_RETRIES:
                    retry.extend(ops)
                    continue
                failed.append({"action": action, "result": result})
            if not retry:
                return failed
            pending = retry
            time.sleep(min(0.2 * 2**attempt, 3.0))
        return failed

    def _bulk_index(
        self,
        entries: Iterable[tuple[str, str, int, dict[str, Any]]],
        *,
        refresh: bool,
    ) -> None:
        batch: list[dict[str, Any]] = []
        for target, record_id, version, source in entries:
            action: dict[str, Any] = {
                "_index": target,
                "_id": record_id,
                "version": version,
                "version_type": "external_gte",
            }
            if target in (self.alias, self.building_alias):
                # Never let a write to a missing alias auto-create an unmapped index.
                action["require_alias"] = True
            batch.append({"index": action})
            batch.append(source)
            if len(batch) >= 2 * BULK_DOCUMENTS:
                self._raise_failures(self._bulk(batch, refresh=refresh))
                batch = []
        if batch:
            self._raise_failures(self._bulk(batch, refresh=refresh))

    def _raise_failures(self, failed: list[dict[str, Any]]) -> None:
        for failure in failed:
            op = next(iter(failure["action"].values()))
            error = failure["result"].get("error") or {}
            if op.get("_index") == self.building_alias and error.get("type") in (
                "index_not_found_exception",
                "illegal_argument_exception",
            ):
                continue  # no rebuild under way
            if error.get("type") == "index_not_found_exception":
                raise _IndexMissing(str(error.get("reason")))
            raise IndexUnavailable(
                f"Elasticsearch refused to index {op.get('_id')}: "
                f"{error.get('type')}: {error.get('reason')}"[:400]
            )

    def upsert(self, documents: Sequence[IndexDocument]) -> None:
        if not documents:
            return
        now = datetime.now(UTC)

        def write() -> None:
            entries = []
            for doc in documents:
                source = source_of(doc, now)
                # Also into the index a rebuild is filling, if any (else that write fails
                # harmlessly): a deposit made during `kho reindex` is in the new index too.
                entries.append((self.alias, doc.record_id, doc.version, source))
                entries.append((self.building_alias, doc.record_id, doc.version, source))
            self._bulk_index(entries, refresh=True)

        self._call("indexing", write)

    def delete(self, record_ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(record_ids))
        if not ids:
            return

        def remove() -> None:
            found = self._es.mget(index=self.alias, ids=ids, source=False)
            operations: list[dict[str, Any]] = []
            for doc in found["docs"]:
                if not doc.get("found"):
                    continue
                # Deleting at the document's own version keeps the tombstone at it, so the
                # same record can be indexed again at that version (a plain delete would
                # bump the version and refuse that for a minute).
                for target in (self.alias, self.building_alias):
                    operations.append(
                        {
                            "delete": {
                                "_index": target,
                                "_id": doc["_id"],
                                "version": doc["_version"],
                                "version_type": "external_gte",
                            }
                        }
                    )
            if operations:
                failed = self._bulk(operations, refresh=True)
                self._raise_failures(
                    [f for f in failed if int(f["result"].get("status", 500)) != 404]
                )

        self._call("deleting", remove)

    # -- rebuilding ------------------------------------------------------------------------

    def rebuild(self) -> _ElasticsearchRebuild:
        return _ElasticsearchRebuild(self)

    def _start_building(self, name: str) -> None:
        self._ensure()
        live = set(self._indices_behind(self.alias))
        # A rebuild that crashed, or one this one replaces, leaves an index behind; so does
        # a crash between an alias swap and the old index's deletion.
        for stale in self._own_indices():
            if stale not in live:
                self._drop_index(stale)
        with self._errors("creating the new index"):
            self._create_index(name, {self.building_alias: {}})

    def _catch_up(self, name: str, *, since: datetime) -> None:
        """Copy into the new index what was indexed live since `since`: an upsert that began
        before the building alias existed reached the live index only (the version guard
        keeps whichever copy is newer)."""
        live = self._indices_behind(self.alias)
        if not live:
            return
        after: list[Any] | None = None
        while True:
            with self._errors("copying recent documents"):
                response = self._es.search(
                    index=self.alias,
                    query={"range": {"indexed_at": {"gte": since.isoformat()}}},
                    sort=[{"record_id": "asc"}],
                    size=BULK_DOCUMENTS,
                    search_after=after,
                    track_total_hits=False,
                )
            hits = response["hits"]["hits"]
            if not hits:
                return
            self._bulk_index(
                [
                    (name, h["_id"], int(h["_source"]["version"]), restored(h["_source"]))
                    for h in hits
                ],
                refresh=False,
            )
            after = hits[-1]["sort"]

    def _go_live(self, name: str) -> None:
        old = [i for i in self._indices_behind(self.alias) if i != name]
        actions: list[dict[str, Any]] = [{"remove": {"index": i, "alias": self.alias}} for i in old]
        actions.append({"remove": {"index": name, "alias": self.building_alias}})
        actions.append({"add": {"index": name, "alias": self.alias}})
        try:
            with self._errors("switching the alias"):
                self._es.indices.refresh(index=name)
                self._es.indices.update_aliases(actions=actions)
        except _IndexMissing:
            raise IndexUnavailable(
                f"the new index {name} is gone: another rebuild replaced this one"
            ) from None
        self._ready = True
        for index in old:
            self._drop_index(index)

    # -- reading ---------------------------------------------------------------------------

    @staticmethod
    def _hit(raw: Mapping[str, Any], *, score: float = 0.0) -> Hit:
        source = raw["_source"]
        return Hit(
            record_id=source["record_id"],
            record=source["view"]["record"],
            validity=validity_of_source(source),
            indication=source.get("indication"),
            score=score,
        )

    def get(self, record_id: str) -> Hit | None:
        def read() -> Hit | None:
            found = self._es.mget(index=self.alias, ids=[record_id], source_includes=HIT_SOURCE)
            doc = found["docs"][0]
            return self._hit(doc) if doc.get("found") else None

        return self._call("reading", read)

    def lookup(self, query: LookupQuery) -> ResultPage:
        filters: list[dict[str, Any]] = [{"term": {"subject_ids": query.subject_id}}]
        if query.procedure_code is not None:
            filters.append({"term": {"procedure_code": query.procedure_code}})
        if query.result_type is not None:
            filters.append({"term": {"result_type": query.result_type}})
        if query.indication is not None:
            filters.append({"term": {"indication": query.indication}})
        for name, allowed in (
            ("procedure_code", query.allowed_procedure_codes),
            ("result_type", query.allowed_result_types),
        ):
            if allowed is not None:
                if not allowed:
                    return ResultPage(hits=(), total=0)
                filters.append({"terms": {name: sorted(allowed)}})
        if not query.include_invalid:
            # Reusable only (archive.reuse.reuse_on): valid on the day, and signed well enough.
            filters.append(status_queries(query.valid_on)[Status.valid.value])
            filters.append(SIGNATURE_QUERY[query.signature_policy])

        def run() -> ResultPage:
            response = self._es.search(
                index=self.alias,
                query={"bool": {"filter": filters}},
                sort=[{"issued_on": "desc"}, {"record_id": "asc"}],
                from_=(query.page - 1) * query.page_size,
                size=query.page_size,
                track_total_hits=True,
                source_includes=HIT_SOURCE,
            )
            hits = response["hits"]
            return ResultPage(
                hits=tuple(self._hit(h) for h in hits["hits"]),
                total=int(hits["total"]["value"]),
            )

        return self._call("looking up", run)

    def search(self, query: SearchQuery) -> ResultPage:
        terms = query_terms(query.q)
        must = text_queries(query.q) if terms else []
        filters: list[dict[str, Any]] = []
        for name in ("procedure_code", "result_type", "issuer_code", "indication"):
            value = getattr(query, name)
            if value is not None:
                filters.append({"term": {name: value}})
        if query.subject_id is not None:
            filters.append({"term": {"subject_ids": query.subject_id}})
        issued: dict[str, str] = {}
        if query.issued_from is not None:
            issued["gte"] = query.issued_from.isoformat()
        if query.issued_to is not None:
            issued["lte"] = query.issued_to.isoformat()
        if issued:
            filters.append({"range": {"issued_on": issued}})
        statuses = status_queries(query.today)
        if query.status is not None:
            filters.append(statuses[query.status.value])
        sort: list[Any] = [{"issued_on": "desc"}, {"record_id": "asc"}]
        if terms:
            sort.insert(0, {"_score": "desc"})
        aggregations: dict[str, Any] = {
            name: {
                "terms": {
                    "field": name,
                    "size": 20,
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
            for name in FACET_FIELDS
            if name != "status"
        }
        aggregations["status"] = {"filters": {"filters": statuses}}
        # The facets count the best-ranked `count_bound` matches, as the embedded engine
        # counts its bounded candidates: all of them when there are no more than that.
        bound = self.count_bound
        sampled = {"sample": {"sampler": {"shard_size": bound}, "aggs": aggregations}}
        source = [*HIT_SOURCE, "view.text"] if terms else HIT_SOURCE

        def run() -> ResultPage:
            response = self._es.search(
                index=self.alias,
                query={"bool": {"must": must, "filter": filters}},
                sort=sort,
                from_=(query.page - 1) * query.page_size,
                size=query.page_size,
                track_total_hits=bound,
                source_includes=source,
                aggregations=sampled,
            )
            total = int(response["hits"]["total"]["value"])
            relation = str(response["hits"]["total"].get("relation", "eq"))
            hits = []
            for raw in response["hits"]["hits"]:
                hit = self._hit(raw, score=float(raw.get("_score") or 0.0) if terms else 0.0)
                body = str(raw["_source"]["view"].get("text", "")) if terms else ""
                hits.append(replace(hit, highlights=hit_highlights(hit.record, body, terms)))
            facets = facets_of(response["aggregations"]["sample"]) if total else {}
            return ResultPage(
                hits=tuple(hits), total=total, facets=facets, total_relation=relation
            )

        return self._call("searching", run)

    def count(self) -> int:
        return self._call("counting", lambda: int(self._es.count(index=self.alias)["count"]))

    def check(self) -> None:
        wait = min(self.timeout_s, 5.0)
        with contextlib.suppress(_IndexMissing), self._errors("checking its health"):
            health = (
                self._es.options(request_timeout=wait + 2.0)
                .cluster.health(wait_for_status="yellow", timeout=f"{wait:g}s")
                .body
            )
            if health.get("timed_out") or health.get("status") == "red":
                raise IndexUnavailable(
                    f"Elasticsearch at {self.url} is not ready (cluster status "
                    f"{health.get('status')})"
                )

    def close(self) -> None:
        self._es.close()


