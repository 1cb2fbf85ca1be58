"""The reuse lookup end to end: validity on a day, filters, invalid results, paging, enterprise
codes, key limits, and each item's status, signature and content link; every lookup audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, audit_events, deposit

from kho.services import Services

DUC = "001203001234"
COMPANY = "0101234565"
TODAY = date.today()
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def seed(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> dict[str, str]:
    # One signed result, one record: each deposit has its own bytes.
    ids = {}
    ids["birth"] = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    ids["marriage"] = deposit(
        client,
        headers,
        signed_pdf("GIẤY CHỨNG NHẬN KẾT HÔN"),
        metadata(
            procedure_code="1.000894",
            procedure_name="Thủ tục đăng ký kết hôn",
            result_type="Giấy chứng nhận kết hôn",
            issued_on=(TODAY - timedelta(days=40)).isoformat(),
        ),
    )["record_id"]
    ids["expired"] = deposit(
        client,
        headers,
        signed_pdf("PHIẾU LÝ LỊCH TƯ PHÁP"),
        metadata(
            procedure_code="2.000001",
            procedure_name="Thủ tục cấp phiếu lý lịch tư pháp",
            result_type="Phiếu lý lịch tư pháp",
            issued_on=(TODAY - timedelta(days=400)).isoformat(),
            valid_until=(TODAY - timedelta(days=200)).isoformat(),
        ),
    )["record_id"]
    ids["company"] = deposit(
        client,
        headers,
        signed_pdf("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"),
        metadata(
            procedure_code="2.001610",
            procedure_name="Đăng ký thành lập doanh nghiệp",
            result_type="Giấy chứng nhận đăng ký doanh nghiệp",
            subjects=[{"kind": "enterprise", "id": COMPANY, "name": "Công ty TNHH Tân Phong"}],
        ),
    )["record_id"]
    return ids


def lookup(
    client: TestClient, headers: dict[str, str], subject: str = DUC, **params: Any
) -> dict[str, Any]:
    response = client.get(f"/api/v1/subjects/{subject}/records", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_lookup_valid_today_with_status_signature_and_content_link(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta, services: Services
) -> None:
    ids = seed(client, headers, signed_pdf, metadata)
    body = lookup(client, headers)
    assert body["total"] == 2 and body["page"] == 1 and body["page_size"] == 20
    assert [i["record_id"] for i in body["items"]] == [ids["birth"], ids["marriage"]]
    for item in body["items"]:
        assert item["status"] == "valid"
        assert item["signature"]["indication"] == "TOTAL-PASSED"
        assert item["content_url"] == f"/api/v1/records/{item['record_id']}/content"
        content = client.get(item["content_url"], headers=headers)
        assert content.status_code == 200 and content.content.startswith(b"%PDF")
    # Audited with the dossier code, naming the subject and the records found.
    lookups = audit_events(services, action="lookup")
    assert lookups[-1]["purpose"] == PURPOSE
    assert lookups[-1]["subject_ids"] == [DUC]
    assert set(lookups[-1]["record_ids"]) == {ids["birth"], ids["marriage"]}
    downloads = audit_events(services, action="download")
    assert {d["record_ids"][0] for d in downloads} == {ids["birth"], ids["marriage"]}
    assert all(d["purpose"] == PURPOSE for d in downloads)


def test_include_invalid_and_valid_on(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    ids = seed(client, headers, signed_pdf, metadata)
    everything = lookup(client, headers, include_invalid="true")
    statuses = {i["record_id"]: i["status"] for i in everything["items"]}
    assert everything["total"] == 3
    assert statuses[ids["expired"]] == "expired"
    # On a day when the criminal record extract was still valid, and the others not issued.
    then = (TODAY - timedelta(days=300)).isoformat()
    assert [i["record_id"] for i in lookup(client, headers, valid_on=then)["items"]] == [
        ids["expired"]
    ]


def test_filters_by_procedure_and_result_type(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    ids = seed(client, headers, signed_pdf, metadata)
    assert [
        i["record_id"] for i in lookup(client, headers, procedure_code="1.000894")["items"]
    ] == [ids["marriage"]]
    by_type = lookup(client, headers, result_type="Giấy khai sinh")
    assert [i["record_id"] for i in by_type["items"]] == [ids["birth"]]
    assert lookup(client, headers, result_type="Giấy phép lái xe")["total"] == 0


def test_paging_keeps_the_total(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    seed(client, headers, signed_pdf, metadata)
    pages = [
        lookup(client, headers, include_invalid="true", page=n, page_size=2) for n in (1, 2, 3)
    ]
    assert [p["total"] for p in pages] == [3, 3, 3]
    assert [len(p["items"]) for p in pages] == [2, 1, 0]
    seen = [i["record_id"] for p in pages for i in p["items"]]
    assert len(set(seen)) == 3


def test_enterprise_codes_work_like_citizen_ids(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    ids = seed(client, headers, signed_pdf, metadata)
    body = lookup(client, headers, subject=COMPANY)
    assert [i["record_id"] for i in body["items"]] == [ids["company"]]
    assert lookup(client, headers, subject=f"{COMPANY}-001")["total"] == 0


def test_bad_subject_id_page_and_purpose_are_refused(
    client: TestClient, headers: dict[str, str]
) -> None:
    assert_problem(
        client.get("/api/v1/subjects/12345/records", headers=headers), 422, "invalid-query"
    )
    assert_problem(
        client.get(f"/api/v1/subjects/{DUC}/records", headers=headers, params={"page_size": 101}),
        422,
    )
    assert_problem(
        client.get(
            f"/api/v1/subjects/{DUC}/records", headers=headers, params={"valid_on": "hôm nay"}
        ),
        422,
    )
    no_purpose = {"Authorization": headers["Authorization"]}
    assert_problem(
        client.get(f"/api/v1/subjects/{DUC}/records", headers=no_purpose), 400, "missing-purpose"
    )
    bad_purpose = {**headers, "X-Dossier-Code": "ho so so 1"}
    assert_problem(client.get(f"/api/v1/subjects/{DUC}/records", headers=bad_purpose), 400)


def test_a_limited_key_sees_only_its_procedures_everywhere(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
) -> None:
    ids = seed(client, headers, signed_pdf, metadata)
    limited = {
        "Authorization": "Bearer "
        + make_key("records:read", allowed_procedure_codes=frozenset({"1.000894"})),
        "X-Dossier-Code": PURPOSE,
    }
    body = lookup(client, limited, include_invalid="true")
    assert [i["record_id"] for i in body["items"]] == [ids["marriage"]]
    assert client.get(f"/api/v1/records/{ids['marriage']}", headers=limited).status_code == 200
    assert_problem(client.get(f"/api/v1/records/{ids['birth']}", headers=limited), 403)
    assert_problem(client.get(f"/api/v1/records/{ids['birth']}/content", headers=limited), 403)
    assert_problem(client.get(f"/api/v1/records/{ids['birth']}/verification", headers=limited), 403)
    # Search: the one allowed procedure is applied; another is refused.
    found = client.get("/api/v1/search", headers=limited, params={"q": ""}).json()
    assert {i["record"]["record_id"] for i in found["items"]} == {ids["marriage"]}
    assert_problem(
        client.get("/api/v1/search", headers=limited, params={"procedure_code": "1.001193"}), 403
    )
    by_type = {
        "Authorization": "Bearer "
        + make_key("records:read", allowed_result_types=frozenset({"Giấy khai sinh"})),
        "X-Dossier-Code": PURPOSE,
    }
    assert [i["record_id"] for i in lookup(client, by_type)["items"]] == [ids["birth"]]


def test_an_expired_key_is_refused(
    client: TestClient, headers: dict[str, str], make_key: Callable[..., str], services: Services
) -> None:
    from datetime import UTC, datetime

    soon = datetime.now(UTC) + timedelta(minutes=5)
    key = {
        "Authorization": "Bearer " + make_key("records:read", expires_at=soon),
        "X-Dossier-Code": PURPOSE,
    }
    assert client.get(f"/api/v1/subjects/{DUC}/records", headers=key).status_code == 200
    later = soon + timedelta(seconds=1)
    services.backends.clock = lambda: later
    assert_problem(
        client.get(f"/api/v1/subjects/{DUC}/records", headers=key), 401, "unauthenticated"
    )


def test_lookups_filter_on_the_signature_verdict(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    trusted = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    doubtful = deposit(client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata())
    assert doubtful["signature"]["indication"] == "INDETERMINATE"
    url = f"/api/v1/subjects/{DUC}/records"
    only = client.get(
        url, headers=headers, params={"indication": "INDETERMINATE", "include_invalid": "true"}
    ).json()
    assert [i["record_id"] for i in only["items"]] == [doubtful["record_id"]]
    # Not reusable, so absent unless include_invalid.
    assert client.get(url, headers=headers, params={"indication": "INDETERMINATE"}).json() == {
        "items": [],
        "total": 0,
        "page": 1,
        "page_size": 20,
    }
    passed = client.get(url, headers=headers, params={"indication": "TOTAL-PASSED"}).json()
    assert [i["record_id"] for i in passed["items"]] == [trusted]
    searched = client.get(
        "/api/v1/search", headers=headers, params={"q": "trich luc", "indication": "INDETERMINATE"}
    ).json()
    assert [i["record"]["record_id"] for i in searched["items"]] == [doubtful["record_id"]]
    assert_problem(client.get(url, headers=headers, params={"indication": "MAYBE"}), 422)
