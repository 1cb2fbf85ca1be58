"""Revoking and superseding results through the API, and what lookups say afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, audit_events, deposit

from kho.services import Services

DUC = "001203001234"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def ids_valid_today(client: TestClient, headers: dict[str, str]) -> list[str]:
    body = client.get(f"/api/v1/subjects/{DUC}/records", headers=headers).json()
    return [i["record_id"] for i in body["items"]]


def test_revoke_changes_lookups_and_a_second_revoke_is_409(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta, services: Services
) -> None:
    record_id = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    assert ids_valid_today(client, headers) == [record_id]
    reason = "Cấp sai ngày sinh; đã cấp lại bản đúng"
    response = client.post(
        f"/api/v1/records/{record_id}/revoke", headers=headers, json={"reason": reason}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    assert response.json()["revocation_reason"] == reason
    assert ids_valid_today(client, headers) == []
    every = client.get(
        f"/api/v1/subjects/{DUC}/records", headers=headers, params={"include_invalid": "true"}
    ).json()
    assert [(i["record_id"], i["status"]) for i in every["items"]] == [(record_id, "revoked")]
    assert client.get(f"/api/v1/records/{record_id}", headers=headers).json()["status"] == "revoked"
    again = client.post(
        f"/api/v1/records/{record_id}/revoke", headers=headers, json={"reason": "lần hai"}
    )
    assert_problem(again, 409, "conflict")
    event = audit_events(services, action="revoke")[0]
    assert event["record_ids"] == [record_id] and event["detail"]["reason"] == reason
    assert event["purpose"] == PURPOSE


def test_revoke_needs_a_reason_the_issuer_and_an_existing_record(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
) -> None:
    record_id = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    url = f"/api/v1/records/{record_id}/revoke"
    assert_problem(client.post(url, headers=headers, json={}), 422)
    assert_problem(client.post(url, headers=headers, json={"reason": ""}), 422)
    assert_problem(client.post(url, headers=headers, json={"reason": "x", "extra": 1}), 422)
    json_headers = {**headers, "Content-Type": "application/json"}
    assert_problem(client.post(url, headers=json_headers, content=b"{not json"), 400)
    other = {"Authorization": "Bearer " + make_key("records:write", agency="000.00.16.H62")}
    assert_problem(client.post(url, headers=other, json={"reason": "không phải của tôi"}), 403)
    reader = {"Authorization": "Bearer " + make_key("records:read")}
    assert_problem(client.post(url, headers=reader, json={"reason": "x"}), 403, "forbidden")
    assert_problem(
        client.post(
            "/api/v1/records/01JD3V7Y8K3N2W6Q4T9ZB5XK1M/revoke",
            headers=headers,
            json={"reason": "x"},
        ),
        404,
    )


def test_supersede_points_lookups_at_the_new_result(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta, services: Services
) -> None:
    old = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    new = deposit(
        client,
        headers,
        signed_pdf("GIẤY KHAI SINH", ("Họ tên", "TRẦN VĂN ĐỨC (cấp lại)")),
        metadata(),
    )["record_id"]
    assert set(ids_valid_today(client, headers)) == {old, new}
    url = f"/api/v1/records/{old}/supersede"
    response = client.post(
        url, headers=headers, json={"superseded_by": new, "reason": "Cấp lại do sai chữ đệm"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "superseded"
    assert response.json()["superseded_by"] == new
    assert ids_valid_today(client, headers) == [new]
    assert_problem(client.post(url, headers=headers, json={"superseded_by": new}), 409)
    assert_problem(
        client.post(
            f"/api/v1/records/{new}/supersede", headers=headers, json={"superseded_by": new}
        ),
        422,
    )
    assert_problem(
        client.post(
            f"/api/v1/records/{new}/supersede",
            headers=headers,
            json={"superseded_by": "01JD3V7Y8K3N2W6Q4T9ZB5XK1M"},
        ),
        422,
    )
    assert_problem(
        client.post(
            f"/api/v1/records/{new}/supersede", headers=headers, json={"superseded_by": "abc"}
        ),
        422,
    )
    assert audit_events(services, action="supersede")[0]["record_ids"] == [old, new]
