"""Reading the audit trail through the API: events with filters and paging, a subject's
access log; and the request id, logs and metrics that go with every request."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, audit_events, deposit

from kho.logs import JsonFormatter, RequestIdFilter, request_id
from kho.services import Services

DUC = "001203001234"
LAN = "079188001122"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def activity(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
) -> str:
    record_id = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    other = {
        "Authorization": "Bearer " + make_key("records:read", agency="000.00.16.H62"),
        "X-Dossier-Code": "000.00.16.H62-261123-0042",
    }
    assert client.get(f"/api/v1/subjects/{DUC}/records", headers=headers).status_code == 200
    assert client.get(f"/api/v1/subjects/{DUC}/records", headers=other).status_code == 200
    assert client.get(f"/api/v1/records/{record_id}/content", headers=other).status_code == 200
    assert client.get(f"/api/v1/subjects/{LAN}/records", headers=headers).status_code == 200
    return record_id


def events(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/audit/events", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_events_by_subject_agency_record_action_and_time(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
    services: Services,
) -> None:
    record_id = activity(client, headers, signed_pdf, metadata, make_key)
    lookups = events(client, headers, action="lookup", subject_id=DUC)
    assert lookups["total"] == 2
    assert {e["purpose"] for e in lookups["items"]} == {PURPOSE, "000.00.16.H62-261123-0042"}
    by_agency = events(client, headers, agency="000.00.16.H62")
    assert [e["action"] for e in by_agency["items"]] == ["download", "lookup"]
    assert by_agency["items"][0]["record_ids"] == [record_id]
    assert by_agency["items"][0]["purpose"] == "000.00.16.H62-261123-0042"
    by_record = events(client, headers, record_id=record_id)
    assert {e["action"] for e in by_record["items"]} >= {"deposit", "download"}
    assert events(client, headers, dossier_code="000.00.16.H62-261123-0042")["total"] == 2
    today = services.backends.today()  # in Asia/Ho_Chi_Minh, as `from`/`to` dates are
    assert (
        events(client, headers, **{"from": today.isoformat(), "to": today.isoformat()})["total"]
        >= 5
    )
    assert events(client, headers, **{"to": (today - timedelta(days=2)).isoformat()})["total"] == 0
    page = events(client, headers, page=2, page_size=2)
    assert page["page"] == 2 and len(page["items"]) == 2 and page["total"] >= 6
    newest_first = events(client, headers, page_size=100)["items"]
    assert [e["seq"] for e in newest_first] == sorted(
        (e["seq"] for e in newest_first), reverse=True
    )
    assert_problem(
        client.get("/api/v1/audit/events", headers=headers, params={"from": "hôm qua"}), 422
    )
    assert_problem(
        client.get(
            "/api/v1/audit/events",
            headers=headers,
            params={"from": "2026-11-02", "to": "2026-11-01"},
        ),
        422,
    )


def test_api_events_are_exactly_what_was_hashed(
    client: TestClient, headers: dict[str, str], services: Services
) -> None:
    client.get(f"/api/v1/subjects/{DUC}/records", headers=headers)
    item = events(client, headers, action="lookup")["items"][0]
    stored = audit_events(services, action="lookup")[0]
    assert item == stored
    from kho.archive.audit import AuditEvent

    assert AuditEvent.from_json(item).compute_hash() == item["hash"]


def test_the_query_itself_is_audited(
    client: TestClient, headers: dict[str, str], services: Services
) -> None:
    events(client, headers, subject_id=DUC)
    queried = audit_events(services, action="audit.query")
    assert queried and queried[-1]["subject_ids"] == [DUC]


def test_access_log_shows_who_when_which_dossier_and_records(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
) -> None:
    record_id = activity(client, headers, signed_pdf, metadata, make_key)
    portal = {
        "Authorization": "Bearer " + make_key("subjects:access-log", agency="000.00.00.G22"),
        "X-Dossier-Code": "000.00.00.G22-261123-0001",
    }
    response = client.get(f"/api/v1/subjects/{DUC}/access-log", headers=portal)
    assert response.status_code == 200, response.text
    body = response.json()
    actions = [i["action"] for i in body["items"]]
    assert actions == ["download", "lookup", "lookup", "deposit"]
    download = body["items"][0]
    assert download == {
        "at": download["at"],
        "action": "download",
        "agency": "000.00.16.H62",
        "dossier_code": "000.00.16.H62-261123-0042",
        "record_ids": [record_id],
        "outcome": "ok",
    }
    assert all("key_id" not in str(i) for i in body["items"])
    # Reading the log is audited, but does not show in the log; another subject's is apart.
    again = client.get(f"/api/v1/subjects/{DUC}/access-log", headers=portal).json()
    assert again["total"] == body["total"]
    lan = client.get(f"/api/v1/subjects/{LAN}/access-log", headers=portal).json()
    assert [i["action"] for i in lan["items"]] == ["lookup"]
    assert_problem(client.get("/api/v1/subjects/123/access-log", headers=portal), 422)
    assert_problem(
        client.get(
            f"/api/v1/subjects/{DUC}/access-log", headers={"Authorization": portal["Authorization"]}
        ),
        400,
    )
    assert_problem(
        client.get(
            f"/api/v1/subjects/{DUC}/access-log",
            headers=headers | {"Authorization": "Bearer " + make_key("audit:read")},
        ),
        403,
    )


def test_the_trail_verifies_after_api_activity(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
    services: Services,
) -> None:
    activity(client, headers, signed_pdf, metadata, make_key)
    services.audit.seal(force=True)
    client.get(f"/api/v1/subjects/{DUC}/records", headers=headers)
    report = services.audit.verify()
    assert report.ok, report
    assert report.segments == 1 and report.events >= 6


def test_request_id_is_echoed_and_in_log_lines(client: TestClient, headers: dict[str, str]) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "yeu-cau-42"})
    assert given.headers["x-request-id"] == "yeu-cau-42"
    made = client.get(f"/api/v1/subjects/{DUC}/records", headers={"X-Dossier-Code": PURPOSE})
    assert len(made.headers["x-request-id"]) == 16
    assert made.json()["status"] == 401
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kho.test")
    logger.addHandler(handler)
    try:
        token = request_id.set("abc123")
        logger.warning("trong yêu cầu")
        request_id.reset(token)
        logger.warning("ngoài yêu cầu")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert '"request_id": "abc123"' in lines[0] and "trong yêu cầu" in lines[0]
    assert '"request_id": "-"' in lines[1]


def test_metrics_count_requests_by_route_deposits_lookups_and_audit(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    deposit(client, headers, signed_pdf(), metadata())
    client.get(f"/api/v1/subjects/{DUC}/records", headers=headers)
    client.get("/api/v1/records/01JD3V7Y8K3N2W6Q4T9ZB5XK1M", headers=headers)
    text = client.get("/metrics").text
    assert (
        'kho_http_requests_total{method="GET",route="/api/v1/subjects/{subject_id}/records",status="200"}'
        in text
    )
    assert 'route="/api/v1/records/{record_id}",status="404"' in text
    assert "kho_http_request_duration_seconds_bucket" in text
    assert 'kho_deposits_total{outcome="created"}' in text
    assert 'kho_lookups_total{found="yes"}' in text
    assert 'kho_audit_appends_total{action="lookup"}' in text
    assert "kho_audit_batch_events_count" in text
    assert "001203001234" not in text  # no personal data in labels


def test_extreme_dates_are_refused_or_answered_never_a_server_error(
    client: TestClient, headers: dict[str, str]
) -> None:
    for params in (
        {"to": "0999-01-01"},
        {"from": "0001-01-01"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01T00:00:00+14:00"},
        {"to": "9999-12-31T23:59:59-12:00"},
    ):
        response = client.get("/api/v1/audit/events", headers=headers, params=params)
        assert response.status_code in (200, 422), (params, response.text)
    deep = client.get(
        "/api/v1/audit/events", headers=headers, params={"page": 999, "page_size": 100}
    )
    assert deep.status_code == 200 and deep.json()["items"] == []
