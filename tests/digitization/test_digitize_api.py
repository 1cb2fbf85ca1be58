"""POST /api/v1/digitizations(/proposals): the officer's two steps over HTTP, on every stack."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from support.api import assert_problem
from support.scans import BIRTH, BIRTH_META, numbered, scan

from kho.server import create_app
from kho.services import Services

pytestmark = pytest.mark.slow


@pytest.fixture
def dclient(dservices: Services) -> Iterator[TestClient]:
    with TestClient(create_app(dservices, outbox_worker=False)) as test_client:
        yield test_client


@pytest.fixture
def dkey(dservices: Services) -> Callable[..., str]:
    from kho.services import Access

    def make(scopes: str = "records:read,records:write", agency: str = "000.00.15.H62") -> str:
        _key, token = dservices.keys.create(
            agency=agency, scopes=frozenset(scopes.split(",")), access=Access.system()
        )
        return token

    return make


def test_propose_then_deposit_the_confirmed_metadata(
    dclient: TestClient, dkey: Callable[..., str]
) -> None:
    auth = {"Authorization": f"Bearer {dkey()}"}
    data = scan(BIRTH, rotate=0.8, noise=0.02)
    proposed = dclient.post(
        "/api/v1/digitizations/proposals",
        headers=auth,
        files=[("files", ("khai-sinh.png", data, "image/png"))],
    )
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert body["fields"]["dossier_code"]["value"] == BIRTH_META["dossier_code"]
    assert body["metadata"]["subjects"][0]["name"] == "Nguyễn Thị Hồng Nhung"
    assert body["pages"] == 1

    confirmed = {
        **body["metadata"],
        "procedure_code": "1.001193",
        "procedure_name": "Thủ tục đăng ký khai sinh",
    }
    form = {"metadata": json.dumps(confirmed, ensure_ascii=False)}
    files = [("files", ("khai-sinh.png", data, "image/png"))]
    created = dclient.post("/api/v1/digitizations", headers=auth, files=files, data=form)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["origin"] == "digitized" and record["outcome"] == "created"
    assert record["digitization"]["signed_by"] == "UBND xã Tân Phong"
    assert isinstance(record["review"], list)
    assert created.headers["Location"] == f"/api/v1/records/{record['record_id']}"
    again = dclient.post("/api/v1/digitizations", headers=auth, files=files, data=form)
    assert again.status_code == 200 and again.json()["record_id"] == record["record_id"]
    shown = dclient.get(
        f"/api/v1/records/{record['record_id']}",
        headers={**auth, "X-Dossier-Code": "000.00.15.H62-261123-0001"},
    )
    assert shown.json()["digitization"]["scan_sha256"] == record["digitization"]["scan_sha256"]


def test_refusals_are_problems(dclient: TestClient, dkey: Callable[..., str]) -> None:
    reader = {"Authorization": f"Bearer {dkey('records:read')}"}
    writer = {"Authorization": f"Bearer {dkey()}"}
    _paper, meta = numbered(BIRTH, 300)
    form = {"metadata": json.dumps(meta, ensure_ascii=False)}
    garbage = [("files", ("rac.png", b"rubbish", "image/png"))]
    assert_problem(
        dclient.post("/api/v1/digitizations", headers=reader, files=garbage, data=form), 403
    )
    assert_problem(
        dclient.post("/api/v1/digitizations", headers=writer, files=garbage, data=form),
        422,
        "unreadable-scan",
    )
    assert_problem(
        dclient.post(
            "/api/v1/digitizations", headers=writer, files=garbage, data={"metadata": "{not json"}
        ),
        400,
    )
    assert_problem(dclient.post("/api/v1/digitizations", headers=writer, data=form), 422)


def test_without_a_signing_key_the_service_is_unavailable(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    _paper, meta = numbered(BIRTH, 301)
    response = client.post(
        "/api/v1/digitizations",
        headers={"Authorization": f"Bearer {make_key()}"},
        files=[("files", ("a.png", scan(BIRTH), "image/png"))],
        data={"metadata": json.dumps(meta, ensure_ascii=False)},
    )
    problem = assert_problem(response, 503, "signing-not-configured")
    assert problem["setting"] == "KHO_SIGNING_PKCS12"
