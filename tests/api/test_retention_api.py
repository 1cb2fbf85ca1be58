"""/api/v1/retention on every stack: due list, holds, two-person disposal, 410 after."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kho.server import create_app
from kho.services import Access
from kho.settings import Settings
from kho.wiring import build_services

PURPOSE = {"X-Dossier-Code": "000.00.15.H62-261123-0001"}
TYPE = "Giấy xác nhận tình trạng hôn nhân"


def test_due_hold_propose_approve_certificate_and_410(
    settings: Settings,
    tmp_path: Path,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    schedule = tmp_path / "s.json"
    schedule.write_text(json.dumps({TYPE: 5}), encoding="utf-8")  # the older inline form
    services = build_services(settings.model_copy(update={"retention_schedule": schedule}))
    try:
        ids = [
            services.deposit.deposit(
                signed_pdf("GIẤY XÁC NHẬN", ("Số", f"api-{n}")),
                f"{n}.pdf",
                metadata(result_type=TYPE, issued_on="2010-01-02"),
                Access.system(),
            ).record["record_id"]
            for n in range(3)
        ]
        tokens = []
        for _ in range(2):
            _key, token = services.keys.create(
                agency="000.00.15.H62",
                scopes=frozenset({"retention:manage", "records:read"}),
                access=Access.system(),
            )
            tokens.append({"Authorization": f"Bearer {token}"})
        alice, bob = tokens
        with TestClient(create_app(services, outbox_worker=False)) as client:
            due = client.get("/api/v1/retention/due", headers=alice).json()
            assert due["total"] == 3
            assert {i["record"]["record_id"] for i in due["items"]} == set(ids)
            assert {i["action"] for i in due["items"]} == {"destroy"}
            hold = client.post(
                "/api/v1/retention/holds",
                json={"reason": "Thanh tra", "record_ids": [ids[0]]},
                headers=alice,
            )
            assert hold.status_code == 201, hold.text
            hold_id = hold.json()["hold_id"]
            record = client.get(f"/api/v1/records/{ids[0]}", headers={**alice, **PURPOSE}).json()
            assert record["retention"]["holds"] == [hold_id]
            refused = client.post(
                "/api/v1/retention/disposals",
                json={"reason": "Hết hạn", "record_ids": ids},
                headers=alice,
            )
            assert refused.status_code == 422 and ids[0] in refused.json()["detail"]
            batch = client.post(
                "/api/v1/retention/disposals",
                json={"reason": "Hết thời hạn bảo quản", "record_ids": ids[1:]},
                headers=alice,
            )
            assert batch.status_code == 201 and batch.json()["status"] == "proposed"
            batch_id = batch.json()["batch_id"]
            same = client.post(f"/api/v1/retention/disposals/{batch_id}/approve", headers=alice)
            assert same.status_code == 403
            assert same.json()["type"] == "/problems/same-approver"
            done = client.post(f"/api/v1/retention/disposals/{batch_id}/approve", headers=bob)
            assert done.status_code == 200 and done.json()["status"] == "executed"
            cert = client.get(f"/api/v1/retention/disposals/{batch_id}/certificate", headers=bob)
            assert sorted(cert.json()["record_ids"]) == sorted(ids[1:])
            html = client.get(
                f"/api/v1/retention/disposals/{batch_id}/certificate",
                headers={**alice, "Accept": "text/html"},
            )
            assert html.headers["content-type"].startswith("text/html")
            assert "BIÊN BẢN HỦY" in html.text
            view = client.get(f"/api/v1/records/{ids[1]}", headers={**alice, **PURPOSE}).json()
            assert view["status"] == "disposed" and view["tombstone"]["batch_id"] == batch_id
            gone = client.get(f"/api/v1/records/{ids[1]}/content", headers={**alice, **PURPOSE})
            assert gone.status_code == 410 and gone.json()["type"] == "/problems/disposed"
            released = client.post(
                f"/api/v1/retention/holds/{hold_id}/release",
                json={"reason": "Xong"},
                headers=alice,
            )
            assert released.status_code == 200 and released.json()["active"] is False
            again = client.post(
                f"/api/v1/retention/holds/{hold_id}/release", json={"reason": "x"}, headers=alice
            )
            assert again.status_code == 409
    finally:
        services.close()


@pytest.mark.parametrize("path", ["/api/v1/retention/due", "/api/v1/retention/holds"])
def test_retention_needs_its_scope(
    client: TestClient, make_key: Callable[..., str], path: str
) -> None:
    token = make_key(scopes="records:read")
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_an_agency_key_disposes_only_of_its_own_records(
    settings: Settings,
    tmp_path: Path,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    """The head of the issuing agency decides on disposal: another agency's key can neither
    propose nor approve (nor reject) the disposal of records it did not issue."""
    schedule = tmp_path / "s.json"
    schedule.write_text(json.dumps({TYPE: 5}), encoding="utf-8")
    services = build_services(settings.model_copy(update={"retention_schedule": schedule}))
    try:
        ids = [
            services.deposit.deposit(
                signed_pdf("GIẤY XÁC NHẬN", ("Số", f"own-{n}")),
                f"{n}.pdf",
                metadata(result_type=TYPE, issued_on="2010-01-02"),
                Access.system(),
            ).record["record_id"]
            for n in range(2)
        ]

        def key(agency: str) -> dict[str, str]:
            token = services.keys.create(
                agency=agency, scopes=frozenset({"retention:manage"}), access=Access.system()
            )[1]
            return {"Authorization": f"Bearer {token}"}

        own, own2, other = key("000.00.15.H62"), key("000.00.15.H62"), key("000.00.16.H62")
        with TestClient(create_app(services, outbox_worker=False)) as client:
            refused = client.post(
                "/api/v1/retention/disposals",
                json={"reason": "Hết thời hạn bảo quản", "record_ids": ids},
                headers=other,
            )
            assert refused.status_code == 403, refused.text
            assert refused.json()["type"] == "/problems/forbidden"
            assert ids[0] in refused.json()["detail"]
            batch = client.post(
                "/api/v1/retention/disposals",
                json={"reason": "Hết thời hạn bảo quản", "record_ids": ids},
                headers=own,
            )
            assert batch.status_code == 201, batch.text
            batch_id = batch.json()["batch_id"]
            for action, body in (("approve", None), ("reject", {"reason": "Không"})):
                denied = client.post(
                    f"/api/v1/retention/disposals/{batch_id}/{action}", json=body, headers=other
                )
                assert denied.status_code == 403, denied.text
            assert services.retention.batch(batch_id).status == "proposed"
            done = client.post(f"/api/v1/retention/disposals/{batch_id}/approve", headers=own2)
            assert done.status_code == 200 and done.json()["status"] == "executed"
    finally:
        services.close()
