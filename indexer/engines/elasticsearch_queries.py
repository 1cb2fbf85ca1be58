"""The Elasticsearch engine's queries: a status on a day as range and bool queries (no
scripts: the distribution here has no painless), the reuse verdict's signature filter, the
text of a search word by word, and the facets read back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kho.archive.reuse import PASSED, SignaturePolicy
from kho.archive.status import Status
from kho.indexer.folding import fold, words
from kho.indexer.index import FACET_FIELDS

__all__ = ["SIGNATURE_QUERY", "facets_of", "status_queries", "text_queries"]

# A signature verdict that permits reuse, as archive.reuse.accepts.
SIGNATURE_QUERY: dict[SignaturePolicy, dict[str, Any]] = {
    SignaturePolicy.total_passed: {"term": {"indication": PASSED}},
    SignaturePolicy.any: {"exists": {"field": "indication"}},
}


# -- status on a day, as queries (archive.status.status_on, rule by rule) ------------------


def on_or_before(field: str, day: str) -> dict[str, Any]:
    return {"range": {field: {"lte": day}}}


def status_queries(day: date) -> dict[str, dict[str, Any]]:
    d = day.isoformat()
    disposed = {"term": {"disposed": True}}
    revoked = on_or_before("revoked_on", d)
    superseded = on_or_before("superseded_on", d)
    expired = {"range": {"valid_until": {"lt": d}}}
    return {
        Status.disposed.value: disposed,
        Status.revoked.value: {"bool": {"filter": [revoked], "must_not": [disposed]}},
        Status.superseded.value: {
            "bool": {"filter": [superseded], "must_not": [disposed, revoked]}
        },
        Status.expired.value: {
            "bool": {"filter": [expired], "must_not": [disposed, revoked, superseded]}
        },
        Status.not_yet_valid.value: {
            "bool": {
                "filter": [{"range": {"valid_from": {"gt": d}}}],
                "must_not": [disposed, revoked, superseded, expired],
            }
        },
        Status.valid.value: {
            "bool": {
                "filter": [on_or_before("valid_from", d)],
                "must_not": [disposed, revoked, superseded, expired],
            }
        },
    }


def word_query(word: str) -> dict[str, Any]:
    """One query word: as written in the original fields or folded in the folded ones; the
    boosts are the embedded engine's BM25 column weights, so exact forms rank first."""
    original, folded = word.lower(), fold(word)

    def match(field: str, text: str, boost: float) -> dict[str, Any]:
        return {"match": {field: {"query": text, "operator": "and", "boost": boost}}}

    return {
        "bool": {
            "should": [
                match("meta", original, 4.0),
                match("body", original, 2.0),
                match("meta_folded", folded, 2.0),
                match("body_folded", folded, 1.0),
            ],
            "minimum_should_match": 1,
        }
    }


def text_queries(q: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    queries = []
    for word in words(q):
        lowered = word.lower()
        if lowered in seen:
            continue
        seen.add(lowered)
        queries.append(word_query(word))
    return queries


def facets_of(aggregations: Mapping[str, Any]) -> dict[str, list[tuple[str, int]]]:
    facets: dict[str, list[tuple[str, int]]] = {}
    for name in FACET_FIELDS:
        if name == "status":
            buckets = aggregations["status"]["buckets"]
            counted = [(str(k), int(b["doc_count"])) for k, b in buckets.items() if b["doc_count"]]
            facets[name] = sorted(counted, key=lambda kv: (-kv[1], kv[0]))[:20]
        else:
            facets[name] = [
                (str(b["key"]), int(b["doc_count"])) for b in aggregations[name]["buckets"]
            ]
    return facets
