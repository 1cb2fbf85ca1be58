"""An engine that is down is reported by readiness at once, and Kho behaves as DESIGN.md
says: index down → deposits go on, lookups get 503; store down → deposits get 503; never a
hang. Two tests stop a real server and start it again."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from support.api import assert_problem
from support.backends import Engines

from kho.archive.errors import StoreUnavailable
from kho.archive.store import ObjectStore
from kho.indexer.errors import ExtractorUnavailable, IndexUnavailable
from kho.indexer.extract import Extractor
from kho.indexer.index import LookupQuery, SearchIndex
from kho.services import Access, Services
from kho.settings import Settings
from kho.wiring import build_extractor, build_index, build_store

pytestmark = pytest.mark.integration

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")
DUC = "001203001234"
QUICK_S = 5.0


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    result = action()
    return result, time.monotonic() - start


@pytest.mark.slow
def test_a_stopped_index_is_reported_and_deposits_catch_up(
    services: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    engines: Engines,
) -> None:
    services.health.readiness()  # the index exists before the outage
    engines.stop("es")

    checks, elapsed = timed(services.health.readiness)
    assert elapsed < QUICK_S
    assert checks["index"]["status"] == "down" and checks["index"]["backend"] == "elasticsearch"
    assert checks["store"]["status"] == "ok" and checks["extractor"]["status"] == "ok"

    outcome, elapsed = timed(
        lambda: services.deposit.deposit(signed_pdf(), "a.pdf", metadata(), SYSTEM)
    )
    assert elapsed < 3 * QUICK_S
    assert outcome.outcome == "created" and not outcome.indexed
    start = time.monotonic()
    with pytest.raises(IndexUnavailable):
        services.lookup.lookup(
            LookupQuery(subject_id=DUC, valid_on=services.backends.today()), SYSTEM
        )
    assert time.monotonic() - start < QUICK_S

    engines.start("es")
    assert services.health.readiness()["index"]["status"] == "ok"
    assert services.indexing.drain_outbox() == 1
    found = services.lookup.lookup(
        LookupQuery(subject_id=DUC, valid_on=services.backends.today()), SYSTEM
    )
    assert [i["record_id"] for i in found.items] == [outcome.record["record_id"]]


@pytest.mark.slow
def test_a_stopped_object_store_is_reported_and_refuses_deposits_quickly(
    services: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    engines: Engines,
) -> None:
    services.health.readiness()
    engines.stop("minio")

    checks, elapsed = timed(services.health.readiness)
    assert elapsed < QUICK_S
    assert checks["store"]["status"] == "down" and checks["store"]["backend"] == "minio"
    assert checks["index"]["status"] == "ok"

    start = time.monotonic()
    with pytest.raises(StoreUnavailable):
        services.deposit.deposit(signed_pdf(), "a.pdf", metadata(), SYSTEM)
    assert time.monotonic() - start < QUICK_S


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("role", ["store", "index", "extractor"])
def test_an_unreachable_server_fails_fast_with_kho_errors(settings: Settings, role: str) -> None:
    """Nothing listens on the port: every call fails at once with Kho's own error type."""
    address = f"127.0.0.1:{unused_port()}"
    moved = settings.model_copy(
        update={
            "minio_endpoint": address,
            "es_url": f"http://{address}",
            "tika_url": f"http://{address}",
        }
    )
    calls: dict[str, tuple[Callable[[], Any], type[Exception]]] = {}
    backend: ObjectStore | SearchIndex | Extractor
    if role == "store":
        store = backend = build_store(moved)
        calls = {
            "check": (store.check, StoreUnavailable),
            "put": (lambda: store.put("a/b", b"x", create_only=True), StoreUnavailable),
            "get": (lambda: store.get("a/b"), StoreUnavailable),
        }
    elif role == "index":
        index = backend = build_index(moved)
        calls = {
            "check": (index.check, IndexUnavailable),
            "lookup": (
                lambda: index.lookup(LookupQuery(subject_id=DUC, valid_on=date(2026, 6, 1))),
                IndexUnavailable,
            ),
        }
    else:
        extractor = backend = build_extractor(moved)
        calls = {
            "check": (extractor.check, ExtractorUnavailable),
            "extract": (lambda: extractor.extract(b"%PDF-1.7 ..."), ExtractorUnavailable),
        }
    try:
        for name, (call, error) in calls.items():
            start = time.monotonic()
            with pytest.raises(error):
                call()
            assert time.monotonic() - start < 3.0, name
    finally:
        backend.close()


@pytest.mark.slow
def test_a_stopped_tika_refuses_deposits_with_a_503_and_loses_nothing(
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    engines: Engines,
) -> None:
    """With the extractor down, a deposit is refused before anything is written, with a
    503 and Retry-After: the client keeps the file and sends it again; once Tika is back
    the same request makes one record, searchable, with its text. (Kho does not accept a
    record whose text it has not extracted: no outbox for extraction.)"""
    pdf, meta = signed_pdf("GIẤY KHAI SINH", ("Số", "tika-outage")), metadata()
    services.health.readiness()
    engines.stop("tika")

    checks, elapsed = timed(services.health.readiness)
    assert elapsed < QUICK_S
    assert checks["extractor"]["status"] == "down" and checks["extractor"]["backend"] == "tika"
    assert checks["store"]["status"] == "ok" and checks["index"]["status"] == "ok"

    response, elapsed = timed(lambda: _post(client, headers, pdf, meta))
    assert elapsed < QUICK_S
    problem = assert_problem(response, 503)
    assert response.headers["retry-after"].isdigit()
    assert "Tika" in problem["detail"]
    store = services.backends.store
    for prefix in ("originals/", "records/", "claims/", "outbox/"):
        assert list(store.list(prefix)) == [], prefix

    engines.start("tika")
    created = _post(client, headers, pdf, meta)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["indexed"] is True
    again = _post(client, headers, pdf, meta)  # a client retrying once more: no duplicate
    assert again.status_code == 200 and again.json()["record_id"] == record["record_id"]
    found = client.get("/api/v1/search", params={"q": "tika-outage"}, headers=headers).json()
    assert [i["record"]["record_id"] for i in found["items"]] == [record["record_id"]]
    assert services.fixity.run(SYSTEM).ok


def _post(
    client: TestClient, headers: dict[str, str], pdf: bytes, meta: dict[str, Any]
) -> Response:
    return client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("kq.pdf", pdf, "application/pdf")},
        data={"metadata": json.dumps(meta, ensure_ascii=False)},
    )
