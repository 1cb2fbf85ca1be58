"""The records managers' pages: the due list, a hold placed by one manager, a disposal
proposed by one and approved by the other (the proposer cannot), the certificate."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.web import login, make_user, post_form

from kho.server import create_app
from kho.services import Access, Services
from kho.settings import Settings
from kho.wiring import build_services

TYPE = "Giấy xác nhận tình trạng hôn nhân"


@pytest.fixture
def scheduled(settings: Settings, tmp_path: Path) -> Iterator[Services]:
    schedule = tmp_path / "s.json"
    schedule.write_text(json.dumps({TYPE: 5}), encoding="utf-8")
    built = build_services(settings.model_copy(update={"retention_schedule": schedule}))
    try:
        yield built
    finally:
        built.close()


def test_two_records_managers_hold_propose_approve_and_print(
    scheduled: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    ids = [
        scheduled.deposit.deposit(
            signed_pdf("GIẤY XÁC NHẬN", ("Số", f"web-{n}")),
            f"{n}.pdf",
            metadata(result_type=TYPE, issued_on="2010-01-02"),
            Access.system(),
        ).record["record_id"]
        for n in range(2)
    ]
    make_user(scheduled, "luutru", "records_manager", agency=None)
    make_user(scheduled, "luutru2", "records_manager", agency=None)
    make_user(scheduled, "canbo", "officer")
    app = create_app(scheduled, outbox_worker=False)
    with TestClient(app) as officer:
        login(officer, "canbo")
        assert officer.get("/retention").status_code == 403
    with TestClient(app) as first, TestClient(app) as second:
        assert login(first, "luutru").status_code == 303
        assert login(second, "luutru2").status_code == 303
        page = first.get("/retention")
        assert page.status_code == 200 and 'data-due-total="2"' in page.text
        held = post_form(
            first,
            "/retention/holds",
            {"reason": "Thanh tra", "record_ids": ids[0]},
            page="/retention",
        )
        assert held.status_code == 303
        assert f'data-record-id="{ids[0]}" data-held="true"' in first.get("/retention").text
        refused = post_form(
            first,
            "/retention/disposals",
            {"reason": "Hết hạn", "record_ids": ids[0]},
            page="/retention",
        )
        assert refused.status_code == 422 and "legal hold" in refused.text
        proposed = post_form(
            first,
            "/retention/disposals",
            {"reason": "Hết hạn", "record_ids": ids[1]},
            page="/retention",
        )
        assert proposed.status_code == 303
        [batch] = scheduled.retention.list_batches()
        same = post_form(
            first, f"/retention/disposals/{batch.batch_id}/approve", {}, page="/retention"
        )
        assert same.status_code == 403
        approved = post_form(
            second, f"/retention/disposals/{batch.batch_id}/approve", {}, page="/retention"
        )
        assert approved.status_code == 303
        assert scheduled.retention.batch(batch.batch_id).status == "executed"
        for client in (first, second):
            cert = client.get(f"/retention/disposals/{batch.batch_id}/certificate")
            assert cert.status_code == 200 and "BIÊN BẢN HỦY" in cert.text
            assert ids[1] in cert.text
        # No CSRF token, no change.
        assert (
            second.post(
                f"/retention/disposals/{batch.batch_id}/reject", data={"reason": "x"}
            ).status_code
            == 403
        )
    assert scheduled.backends.packages.latest_manifest(ids[1]).tombstone is not None
    assert scheduled.backends.packages.latest_manifest(ids[0]).tombstone is None
