"""401s, 403s and refused deposits are audited and throttled by client address, and a flood
of them cannot grow the audit trail without bound (kho/services/refusals.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, audit_events

from kho.server import create_app
from kho.services import Services
from kho.services.refusals import RefusalGuard

DUC = "001203001234"
LOOKUP = f"/api/v1/subjects/{DUC}/records"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


@pytest.fixture
def from_address(services: Services) -> Iterator[Callable[[str], TestClient]]:
    """Clients of the same app seen from given addresses."""
    app = create_app(services, outbox_worker=False)
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        client = TestClient(app, client=(address, 40000))
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def refused(services: Services) -> list[dict[str, Any]]:
    services.audit.flush()
    return audit_events(services, action="request.refused")


def test_401_403_and_a_refused_deposit_are_audited(
    from_address: Callable[[str], TestClient],
    services: Services,
    make_key: Callable[..., str],
    signed_pdf: Pdf,
    metadata: Meta,
) -> None:
    client = from_address("203.0.113.7")
    assert_problem(client.get(LOOKUP, headers={"X-Dossier-Code": PURPOSE}), 401)
    writer = make_key("records:write")
    key_id = writer.split("_")[1]
    assert_problem(
        client.get(
            LOOKUP, headers={"Authorization": f"Bearer {writer}", "X-Dossier-Code": PURPOSE}
        ),
        403,
    )
    bad = metadata(subjects=[{"kind": "citizen", "id": "123", "name": "Ai đó"}])
    response = client.post(
        "/api/v1/records",
        headers={"Authorization": f"Bearer {writer}"},
        files={"file": ("a.pdf", signed_pdf(), "application/pdf")},
        data={"metadata": json.dumps(bad, ensure_ascii=False)},
    )
    assert_problem(response, 422, "invalid-metadata")

    events = refused(services)
    assert [(e["detail"]["status"], e["outcome"]) for e in events] == [
        (401, "unauthenticated"),
        (403, "forbidden"),
        (422, "invalid-metadata"),
    ]
    assert all(e["detail"]["client"] == "203.0.113.7" for e in events)
    assert events[0]["detail"]["route"] == "/api/v1/subjects/{subject_id}/records"
    assert events[0]["actor"] == {}
    assert events[1]["actor"] == {"agency": "000.00.15.H62", "key_id": key_id}
    assert events[2]["detail"]["route"] == "/api/v1/records"
    assert all(e["detail"].get("request_id") for e in events)


def test_an_address_that_keeps_being_refused_is_throttled(
    from_address: Callable[[str], TestClient], services: Services, headers: dict[str, str]
) -> None:
    services.refusals = RefusalGuard(services.audit, per_minute=5)
    noisy, other = from_address("198.51.100.1"), from_address("198.51.100.2")
    bad = {"Authorization": "Bearer kho_0123456789abcdef_guess", "X-Dossier-Code": PURPOSE}
    for _ in range(5):
        assert_problem(noisy.get(LOOKUP, headers=bad), 401)
    for _ in range(3):
        response = noisy.get(LOOKUP, headers=bad)
        body = assert_problem(response, 429, "rate-limited")
        assert int(response.headers["retry-after"]) >= 1 and "198.51.100.1" in body["detail"]
    # Even a good key waits while its address is throttled; other addresses do not.
    assert_problem(noisy.get(LOOKUP, headers=headers), 429)
    assert other.get(LOOKUP, headers=headers).status_code == 200
    assert_problem(other.get(LOOKUP, headers=bad), 401)


def test_a_flood_adds_a_bounded_number_of_audit_events(
    from_address: Callable[[str], TestClient], services: Services
) -> None:
    services.refusals = RefusalGuard(services.audit, per_minute=5)
    client = from_address("192.0.2.99")
    statuses = [
        client.get(LOOKUP, headers={"X-Dossier-Code": PURPOSE}).status_code for _ in range(60)
    ]
    assert statuses.count(401) == 5 and statuses.count(429) == 55
    assert len(refused(services)) == 5
    assert services.refusals.flush(force=True)
    services.audit.flush()
    [summary] = audit_events(services, action="request.refused.summary")
    assert summary["detail"]["throttled"] == 55
    assert summary["detail"]["busiest_clients"] == {"192.0.2.99": 55}
    assert not services.refusals.flush(force=True)  # nothing more to say
