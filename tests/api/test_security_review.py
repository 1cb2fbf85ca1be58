"""The security review's "Low" findings, each as the request that showed it: deeply nested
metadata, metric labels chosen by the client, a read-only key that writes, a meaningless
purpose, links built from the Host header. Each failed before its fix."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, deposit

from kho.metrics import REGISTRY
from kho.services import Services
from kho.settings import SettingsError, load_settings

DUC = "001203001234"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def _post_metadata(client: TestClient, headers: dict[str, str], pdf: bytes, text: str) -> Any:
    return client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("a.pdf", pdf, "application/pdf")},
        data={"metadata": text},
    )


@pytest.mark.parametrize("depth", [17, 2_000, 100_000])
def test_deeply_nested_metadata_is_422_not_500(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    for text in (nested, '{"issuer_code": ' + nested + "}", '{"note": ' + nested + "}"):
        body = assert_problem(
            _post_metadata(client, headers, signed_pdf(), text), 422, "invalid-metadata"
        )
        assert "nested" in body["detail"]


def test_metadata_at_the_nesting_limit_is_judged_on_its_fields(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf
) -> None:
    text = '{"note": ' + "[" * 15 + "]" * 15 + "}"
    body = assert_problem(_post_metadata(client, headers, signed_pdf(), text), 422)
    assert "unknown field" in json.dumps(body)


def test_metadata_may_come_as_a_json_file_part(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    meta = json.dumps(metadata(), ensure_ascii=False).encode("utf-8-sig")  # a BOM too
    sent = client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={
            "file": ("khai-sinh.pdf", signed_pdf(), "application/pdf"),
            "metadata": ("meta.json", meta, "application/json"),
        },
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["subjects"][0]["name"] == "Trần Văn Đức"
    bad = client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={
            "file": ("khai-sinh.pdf", signed_pdf(), "application/pdf"),
            "metadata": ("meta.json", b"\xff\xfe not utf-8", "application/json"),
        },
    )
    assert_problem(bad, 400, "bad-request")


def _series() -> int:
    return sum(len(metric.samples) for metric in REGISTRY.collect())


def test_random_methods_do_not_add_metric_series(client: TestClient) -> None:
    client.request("PROPFIND", "/api/v1/records")  # the first "other" series may be new
    before = _series()
    rng = random.Random(13)
    for _ in range(300):
        method = "".join(rng.choices(string.ascii_uppercase, k=8))
        assert client.request(method, "/api/v1/records").status_code in (400, 405)
    assert _series() == before
    text = client.get("/metrics").text
    assert 'method="other",route="/api/v1/records"' in text


def test_a_read_only_key_cannot_store_a_revalidation(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    make_key: Callable[..., str],
    services: Services,
) -> None:
    record_id = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    version = services.backends.packages.latest_manifest(record_id).version
    reader = {"Authorization": "Bearer " + make_key("records:read"), "X-Dossier-Code": PURPOSE}
    url = f"/api/v1/records/{record_id}/verification"
    for _ in range(3):
        body = assert_problem(client.post(url, headers=reader), 403, "forbidden")
        assert body["scope"] == "records:write"
    assert services.backends.packages.latest_manifest(record_id).version == version
    assert client.get(url, headers=reader).status_code == 200  # reading stays open
    writer = {"Authorization": headers["Authorization"], "X-Dossier-Code": PURPOSE}
    assert client.post(url, headers=writer).status_code == 200
    assert services.backends.packages.latest_manifest(record_id).version == version + 1


@pytest.mark.parametrize(
    "code",
    [
        ".",
        "-",
        "x",
        "ho-so-1",
        "000.00.15.H62",
        "000.00.15.H62-261322-0007",
        "000.00.15.H62-2611-7",
    ],
)
def test_a_purpose_must_be_a_dossier_code(
    client: TestClient, headers: dict[str, str], code: str
) -> None:
    response = client.get(
        f"/api/v1/subjects/{DUC}/records", headers={**headers, "X-Dossier-Code": code}
    )
    body = assert_problem(response, 400, "missing-purpose")
    assert "V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX" in body["detail"]


def test_a_configured_pattern_replaces_the_national_form_within_the_outer_bound(
    client: TestClient, headers: dict[str, str], services: Services
) -> None:
    url = f"/api/v1/subjects/{DUC}/records"
    services.settings = services.settings.model_copy(
        update={"dossier_code_pattern": r"HS-\d{6}|.+"}
    )
    assert client.get(url, headers={**headers, "X-Dossier-Code": "HS-261123"}).status_code == 200
    # The contract's outer bound holds whatever the pattern says.
    assert_problem(client.get(url, headers={**headers, "X-Dossier-Code": "ho so 1"}), 400)
    assert_problem(client.get(url, headers={**headers, "X-Dossier-Code": "x" * 65}), 400)
    services.settings = services.settings.model_copy(update={"dossier_code_pattern": r"HS-\d{6}"})
    assert_problem(client.get(url, headers={**headers, "X-Dossier-Code": PURPOSE}), 400)


def test_wrong_pattern_or_public_url_settings_are_refused() -> None:
    with pytest.raises(SettingsError, match="KHO_DOSSIER_CODE_PATTERN"):
        load_settings(_env_file=None, dossier_code_pattern="([")
    with pytest.raises(SettingsError, match="KHO_PUBLIC_URL"):
        load_settings(_env_file=None, public_url="kho.example.gov.vn")
    assert (
        load_settings(_env_file=None, public_url="https://kho.example.gov.vn/").public_url
        == "https://kho.example.gov.vn"
    )


def test_links_never_take_the_host_header(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    services: Services,
) -> None:
    record_id = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    evil = {**headers, "Host": "evil.example"}
    url = f"/api/v1/records/{record_id}/content-links"
    link = client.post(url, headers=evil).json()["url"]
    assert link.startswith("/api/v1/content-links/") and "evil" not in link
    assert client.get(link).status_code == 200
    assert "evil.example" not in client.get("/", headers={"Host": "evil.example"}).text

    services.settings = services.settings.model_copy(
        update={"public_url": "https://kho.example.gov.vn"}
    )
    link = client.post(url, headers=evil).json()["url"]
    assert link.startswith("https://kho.example.gov.vn/api/v1/content-links/")
