"""Downloading the signed bytes: ETag, If-None-Match, Range, Content-Disposition with a
Vietnamese file name, signed short-lived links; every download audited with its purpose."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, audit_events, deposit

from kho.services import Services

Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]
NAME = "Giấy khai sinh Trần Văn Đức.pdf"


def stored(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> tuple[str, bytes]:
    pdf = signed_pdf()
    record = deposit(client, headers, pdf, metadata(), filename=NAME)
    return record["record_id"], pdf


def test_whole_file_with_etag_type_and_vietnamese_name(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    record_id, pdf = stored(client, headers, signed_pdf, metadata)
    response = client.get(f"/api/v1/records/{record_id}/content", headers=headers)
    assert response.status_code == 200
    assert response.content == pdf
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["etag"] == f'"{hashlib.sha256(pdf).hexdigest()}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(pdf))
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert disposition.split('filename="')[1].split('"')[0].isascii()
    assert f"filename*=UTF-8''{quote(NAME, safe='')}" in disposition
    assert (
        "Gi%E1%BA%A5y%20khai%20sinh%20Tr%E1%BA%A7n%20V%C4%83n%20%C4%90%E1%BB%A9c.pdf" in disposition
    )


def test_if_none_match_gives_304_and_is_audited(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta, services: Services
) -> None:
    record_id, pdf = stored(client, headers, signed_pdf, metadata)
    etag = f'"{hashlib.sha256(pdf).hexdigest()}"'
    response = client.get(
        f"/api/v1/records/{record_id}/content", headers={**headers, "If-None-Match": etag}
    )
    assert response.status_code == 304 and response.content == b""
    assert response.headers["etag"] == etag
    other = client.get(
        f"/api/v1/records/{record_id}/content", headers={**headers, "If-None-Match": '"abc"'}
    )
    assert other.status_code == 200
    downloads = audit_events(services, action="download")
    assert [d["outcome"] for d in downloads] == ["not-modified", "ok"]
    assert all(d["purpose"] == PURPOSE and d["record_ids"] == [record_id] for d in downloads)


def test_ranges_give_206_and_bad_ones_416(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta, services: Services
) -> None:
    record_id, pdf = stored(client, headers, signed_pdf, metadata)
    url = f"/api/v1/records/{record_id}/content"
    size = len(pdf)
    for header, start, end in (
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, size - 1),
        ("bytes=-50", size - 50, size - 1),
        (f"bytes={size - 10}-{size + 500}", size - 10, size - 1),
    ):
        response = client.get(url, headers={**headers, "Range": header})
        assert response.status_code == 206, header
        assert response.content == pdf[start : end + 1]
        assert response.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert response.headers["content-length"] == str(end - start + 1)
    for bad in (f"bytes={size}-", "bytes=50-10", "bytes=-0"):
        response = client.get(url, headers={**headers, "Range": bad})
        assert_problem(response, 416, "range-not-satisfiable")
        assert response.headers["content-range"] == f"bytes */{size}"
    # Several ranges or another unit: the whole file (RFC 9110 allows it).
    assert client.get(url, headers={**headers, "Range": "bytes=0-1,5-6"}).status_code == 200
    assert client.get(url, headers={**headers, "Range": "pages=1"}).status_code == 200
    ranged = [d for d in audit_events(services, action="download") if "range" in d["detail"]]
    assert ranged[0]["detail"]["range"] == [0, 99]


def test_unknown_or_malformed_record_is_404(client: TestClient, headers: dict[str, str]) -> None:
    assert_problem(
        client.get("/api/v1/records/01JD3V7Y8K3N2W6Q4T9ZB5XK1M/content", headers=headers), 404
    )
    assert_problem(client.get("/api/v1/records/not-a-ulid/content", headers=headers), 404)


def test_signed_links_serve_the_bytes_without_a_key_and_are_audited(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    services: Services,
) -> None:
    record_id, pdf = stored(client, headers, signed_pdf, metadata)
    made = client.post(
        f"/api/v1/records/{record_id}/content-links", headers=headers, json={"minutes": 5}
    )
    assert made.status_code == 201, made.text
    link = made.json()
    assert link["record_id"] == record_id
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)
    path = link["url"]  # relative: no KHO_PUBLIC_URL in the tests
    response = client.get(path)  # no Authorization, no X-Dossier-Code
    assert response.status_code == 200 and response.content == pdf
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    part = client.get(path, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == pdf[:10]
    via_link = [d for d in audit_events(services, action="download") if d["detail"].get("via")]
    assert len(via_link) == 2
    assert all(d["purpose"] == PURPOSE and d["record_ids"] == [record_id] for d in via_link)
    assert via_link[0]["actor"]["agency"] == "000.00.15.H62"
    assert audit_events(services, action="content-link.create")[0]["purpose"] == PURPOSE
    # Forged, truncated, expired.
    token = path.rsplit("/", 1)[1]
    body, mac = token.split(".")
    assert_problem(client.get(f"/api/v1/content-links/{body}.{mac[:-2]}AA"), 401)
    assert_problem(client.get("/api/v1/content-links/garbage"), 401)
    later = datetime.now(UTC) + timedelta(minutes=6)
    services.backends.clock = lambda: later
    assert_problem(client.get(path), 401, "unauthenticated")


def test_a_revoked_keys_links_stop_working(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
    services: Services,
) -> None:
    record_id, _pdf = stored(client, headers, signed_pdf, metadata)
    token = make_key("records:read")
    reader = {"Authorization": f"Bearer {token}", "X-Dossier-Code": PURPOSE}
    link = client.post(f"/api/v1/records/{record_id}/content-links", headers=reader).json()
    path = link["url"]  # relative: no KHO_PUBLIC_URL in the tests
    assert client.get(path).status_code == 200
    key_id = token.split("_")[1]
    assert client.post(f"/api/v1/keys/{key_id}/revoke", headers=headers).status_code == 200
    assert_problem(client.get(path), 401)


def test_link_validity_is_bounded(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    record_id, _pdf = stored(client, headers, signed_pdf, metadata)
    url = f"/api/v1/records/{record_id}/content-links"
    assert_problem(client.post(url, headers=headers, json={"minutes": 0}), 422)
    assert_problem(client.post(url, headers=headers, json={"minutes": 61}), 422)
    assert_problem(client.post(url, headers={"Authorization": headers["Authorization"]}), 400)


def _link_path(client: TestClient, headers: dict[str, str], record_id: str) -> str:
    made = client.post(f"/api/v1/records/{record_id}/content-links", headers=headers)
    assert made.status_code == 201, made.text
    return str(made.json()["url"])  # relative: no KHO_PUBLIC_URL in the tests


def test_a_link_claiming_a_far_expiry_is_refused_when_followed(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    services: Services,
) -> None:
    """Even with the server secret in hand (which the store no longer gives away), a token
    minted to expire in 2100, or one without an issue time, does not download anything."""
    import base64
    import json

    record_id, _pdf = stored(client, headers, signed_pdf, metadata)
    genuine = _link_path(client, headers, record_id)
    payload = json.loads(base64.urlsafe_b64decode(genuine.rsplit("/", 1)[1].split(".")[0] + "=="))

    def forged(**changes: Any) -> str:
        body = json.dumps({**payload, **changes}, separators=(",", ":")).encode()
        b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()  # noqa: E731
        return f"/api/v1/content-links/{b64(body)}.{b64(services.links._mac(body))}"

    year_2100 = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())
    assert client.get(forged(n="a1b2c3")).status_code == 200  # the forger's MAC is right
    problem = assert_problem(client.get(forged(e=year_2100, n="d4e5f6")), 401)
    assert "60 minutes" in problem["detail"]
    legacy = {k: v for k, v in payload.items() if k not in ("i", "n")}
    body = json.dumps({**legacy, "e": year_2100}, separators=(",", ":")).encode()
    b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()  # noqa: E731
    assert_problem(
        client.get(f"/api/v1/content-links/{b64(body)}.{b64(services.links._mac(body))}"), 401
    )


def test_a_link_works_only_for_a_short_window_after_its_first_use(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    services: Services,
) -> None:
    record_id, pdf = stored(client, headers, signed_pdf, metadata)
    path = _link_path(client, headers, record_id)  # valid for 10 minutes
    assert client.get(path, headers={"Range": "bytes=0-99"}).content == pdf[:100]
    window = services.settings.content_link_use_window_s
    soon = datetime.now(UTC) + timedelta(seconds=window - 20)
    services.backends.clock = lambda: soon
    assert client.get(path).content == pdf  # a viewer's next range requests, a retry
    later = datetime.now(UTC) + timedelta(seconds=window + 5)
    services.backends.clock = lambda: later
    problem = assert_problem(client.get(path), 401, "unauthenticated")
    assert "first used" in problem["detail"]
    # An unused link still works for its whole lifetime.
    services.backends.clock = lambda: datetime.now(UTC)
    fresh = _link_path(client, headers, record_id)
    services.backends.clock = lambda: later
    assert client.get(fresh).status_code == 200


def test_downloads_through_links_count_against_the_keys_rate_limit(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    services: Services,
) -> None:
    from kho.services.ratelimit import RateLimiter

    record_id, _pdf = stored(client, headers, signed_pdf, metadata)
    limiter = RateLimiter(4)
    services.limiter = services.links.limiter = limiter
    path = _link_path(client, headers, record_id)  # one request of the key's four
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 200]
    problem = assert_problem(client.get(path), 429, "rate-limited")
    assert "retry" in problem["detail"]
