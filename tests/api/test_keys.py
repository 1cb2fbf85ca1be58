"""The key administration API (scope keys:manage)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, audit_events

from kho.services import Services


def test_create_list_get_and_revoke(
    client: TestClient, headers: dict[str, str], services: Services
) -> None:
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    created = client.post(
        "/api/v1/keys",
        headers=headers,
        json={
            "agency": "000.00.16.H62",
            "scopes": ["records:read"],
            "label": "Một cửa điện tử xã Tân Phong",
            "expires_at": expires,
            "allowed_procedure_codes": ["1.001193"],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    token, key_id = body["token"], body["key_id"]
    assert token.startswith(f"kho_{key_id}_")
    assert body["allowed_procedure_codes"] == ["1.001193"] and body["allowed_result_types"] is None
    reader = {"Authorization": f"Bearer {token}", "X-Dossier-Code": PURPOSE}
    assert client.get("/api/v1/subjects/001203001234/records", headers=reader).status_code == 200

    listed = client.get("/api/v1/keys", headers=headers).json()
    assert key_id in {k["key_id"] for k in listed["items"]} and listed["total"] == len(
        listed["items"]
    )
    assert all("digest" not in k and "token" not in k for k in listed["items"])
    assert (
        client.get(f"/api/v1/keys/{key_id}", headers=headers).json()["label"]
        == "Một cửa điện tử xã Tân Phong"
    )

    revoked = client.post(f"/api/v1/keys/{key_id}/revoke", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert_problem(client.get("/api/v1/subjects/001203001234/records", headers=reader), 401)
    actions = [e["action"] for e in audit_events(services) if e["action"].startswith("key.")]
    assert actions[-2:] == ["key.create", "key.revoke"]


def test_bad_key_requests(
    client: TestClient, headers: dict[str, str], make_key: Callable[..., str]
) -> None:
    assert_problem(
        client.post(
            "/api/v1/keys", headers=headers, json={"agency": "x y", "scopes": ["records:read"]}
        ),
        422,
    )
    assert_problem(
        client.post(
            "/api/v1/keys",
            headers=headers,
            json={"agency": "000.00.16.H62", "scopes": ["everything"]},
        ),
        422,
    )
    assert_problem(
        client.post(
            "/api/v1/keys", headers=headers, json={"agency": "000.00.16.H62", "scopes": []}
        ),
        422,
    )
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert_problem(
        client.post(
            "/api/v1/keys",
            headers=headers,
            json={"agency": "000.00.16.H62", "scopes": ["records:read"], "expires_at": past},
        ),
        422,
    )
    assert_problem(client.get("/api/v1/keys/0123456789abcdef", headers=headers), 404)
    assert_problem(client.post("/api/v1/keys/nope/revoke", headers=headers), 404)
    reader = {"Authorization": "Bearer " + make_key("records:read")}
    assert_problem(client.get("/api/v1/keys", headers=reader), 403, "forbidden")
