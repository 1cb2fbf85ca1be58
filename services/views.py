"""The record as the services hand it out: views of manifests and index hits, and the
bodies of the lookup and search answers (shared by the API and the CLI).

The view itself is archive/view.py's: `status`, `reusable` and `reuse_blockers` are never
stored; every view is completed for the day it is shown by `with_standing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from kho.archive.manifest import Manifest
from kho.archive.reuse import SignaturePolicy
from kho.archive.view import stored_view, view_on, with_standing
from kho.indexer.index import Hit, IndexDocument
from kho.services.paging import Page

__all__ = [
    "CONTENT_URL",
    "hit_view",
    "index_document",
    "lookup_body",
    "record_view",
    "reusable_first",
    "search_body",
    "view_on",
    "with_links",
    "with_standing",
]

CONTENT_URL = "/api/v1/records/{record_id}/content"


def record_view(manifest: Manifest, zone: ZoneInfo) -> dict[str, Any]:
    """The JSON view of a record, without `status` and the reuse verdict (computed per
    request by with_standing): archive/view.py's StoredView."""
    return stored_view(manifest, zone).to_json()


def hit_view(hit: Hit, day: date, policy: SignaturePolicy) -> dict[str, Any]:
    """An index hit shown on `day`, judged like view_on from the indexed facts."""
    return with_standing(hit.record, hit.validity, hit.indication, day, policy)


def reusable_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Record views with the reusable ones first, each group in the order it came in."""
    return sorted(items, key=lambda item: not item.get("reusable"))


def with_links(view: Mapping[str, Any]) -> dict[str, Any]:
    """A record's view with the URL of its signed bytes (the lookup's "content link")."""
    return {**view, "content_url": CONTENT_URL.format(record_id=view["record_id"])}


def index_document(manifest: Manifest, text: str, zone: ZoneInfo) -> IndexDocument:
    return IndexDocument.of(manifest, text, zone)


def lookup_body(page: Page) -> dict[str, Any]:
    """The reuse lookup's answer as the API and `kho lookup` print it."""
    return {
        "items": [with_links(item) for item in page.items],
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
    }


def search_body(page: Page) -> dict[str, Any]:
    """A search's answer as the API and `kho search` print it."""
    return {
        "items": [{**item, "record": with_links(item["record"])} for item in page.items],
        "total": page.total,
        "total_relation": page.total_relation,
        "page": page.page,
        "page_size": page.page_size,
        "facets": page.facets,
    }
