"""Every refusal is problem+json with the status of CONTRACT.md: 400 401 403 404 409 413 415
422 429."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, deposit

from kho.server import create_app
from kho.services import Access, Services
from kho.services.ratelimit import RateLimiter
from kho.settings import Settings
from kho.wiring import build_services

DUC = "001203001234"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def test_401_without_or_with_a_bad_key(client: TestClient) -> None:
    url = f"/api/v1/subjects/{DUC}/records"
    purpose = {"X-Dossier-Code": PURPOSE}
    for auth in (
        None,
        "Bearer ",
        "Bearer kho_nothexnothexnoth_x",
        "Basic abc",
        "Bearer kho_0123456789abcdef_wrong",
    ):
        headers = dict(purpose)
        if auth is not None:
            headers["Authorization"] = auth
        response = client.get(url, headers=headers)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_403_wrong_scope(client: TestClient, make_key: Callable[..., str]) -> None:
    writer = {"Authorization": "Bearer " + make_key("records:write"), "X-Dossier-Code": PURPOSE}
    body = assert_problem(
        client.get(f"/api/v1/subjects/{DUC}/records", headers=writer), 403, "forbidden"
    )
    assert body["scope"] == "records:read"
    assert_problem(client.get("/api/v1/audit/events", headers=writer), 403)
    assert_problem(client.get(f"/api/v1/subjects/{DUC}/access-log", headers=writer), 403)


def test_400_404_409_415_422_on_deposit_and_read(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_pdf: Callable[..., bytes],
) -> None:
    auth = {"Authorization": headers["Authorization"]}
    meta = metadata()
    pdf = signed_pdf()
    deposit(client, headers, pdf, meta)
    # Same bytes again: 200, same record.
    deposit(client, headers, pdf, meta, expect=200)
    other = signed_pdf("GIẤY KHAI SINH", ("Họ tên", "NGƯỜI KHÁC"))
    assert_problem(
        client.post(
            "/api/v1/records",
            headers=auth,
            files={"file": ("a.pdf", other)},
            data={"metadata": json.dumps(meta)},
        ),
        409,
        "conflict",
    )
    assert_problem(
        client.post(
            "/api/v1/records",
            headers=auth,
            files={"file": ("a.pdf", pdf)},
            data={"metadata": "{not json"},
        ),
        400,
    )
    assert_problem(
        client.post(
            "/api/v1/records",
            headers=auth,
            files={"file": ("a.pdf", b"GIF89a not a pdf")},
            data={"metadata": json.dumps(metadata())},
        ),
        415,
        "unsupported-media-type",
    )
    bad = metadata(subjects=[{"kind": "citizen", "id": "123", "name": "Trần Văn Đức"}])
    assert_problem(
        client.post(
            "/api/v1/records",
            headers=auth,
            files={"file": ("a.pdf", pdf)},
            data={"metadata": json.dumps(bad)},
        ),
        422,
        "invalid-metadata",
    )
    assert_problem(
        client.post(
            "/api/v1/records",
            headers=auth,
            files={"file": ("a.pdf", make_pdf())},
            data={"metadata": json.dumps(metadata())},
        ),
        422,
        "unsigned-document",
    )
    assert_problem(client.post("/api/v1/records", headers=auth, data={"metadata": "{}"}), 422)
    assert_problem(
        client.get("/api/v1/records/01JD3V7Y8K3N2W6Q4T9ZB5XK1M", headers=headers), 404, "not-found"
    )
    assert_problem(client.get("/api/v1/no/such/path", headers=headers), 404)


@pytest.fixture
def small_client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    small = settings.model_copy(update={"max_upload_mb": 1, "data_dir": tmp_path / "small"})
    built = build_services(small)
    try:
        with TestClient(create_app(built, outbox_worker=False)) as test_client:
            test_client.app.state.token = built.keys.create(  # type: ignore[attr-defined]
                agency="000.00.15.H62",
                scopes=frozenset({"records:write"}),
                access=Access.system(),
            )[1]
            yield test_client
    finally:
        built.close()


def test_413_over_the_upload_limit(small_client: TestClient, metadata: Meta) -> None:
    token = small_client.app.state.token  # type: ignore[attr-defined]
    big = b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)
    response = small_client.post(
        "/api/v1/records",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("big.pdf", big)},
        data={"metadata": json.dumps(metadata())},
    )
    assert_problem(response, 413, "too-large")


def test_429_with_retry_after(
    client: TestClient, headers: dict[str, str], services: Services
) -> None:
    services.limiter = RateLimiter(3)
    url = f"/api/v1/subjects/{DUC}/records"
    for _ in range(3):
        assert client.get(url, headers=headers).status_code == 200
    response = client.get(url, headers=headers)
    body = assert_problem(response, 429, "rate-limited")
    assert int(response.headers["retry-after"]) >= 1
    assert body["retry_after"] == int(response.headers["retry-after"])


def test_rate_limit_refills_with_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for _ in range(60):
        limiter.hit("k")
    with pytest.raises(Exception, match="retry in 1 s"):
        limiter.hit("k")
    limiter.hit("other")  # per key
    now[0] = 1.0
    limiter.hit("k")
