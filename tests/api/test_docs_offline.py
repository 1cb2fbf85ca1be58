"""/api/v1/docs works with no internet access: the page loads only Kho's own files, which are
the pinned Swagger UI 5 release scripts/vendor-swagger-ui vendored; and every response, the
page, its assets, a PDF and an error alike, carries the security headers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from support.api import deposit

from kho.api.docs import ASSETS_DIR

Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "no-referrer",
}


def _references(html: str) -> list[str]:
    return re.findall(r'(?:src|href|data-openapi-url)="([^"]+)"', html)


def test_the_docs_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.text
    assert not re.search(r"https?://", html), "the docs page names an external URL"
    refs = _references(html)
    assert len(refs) >= 4
    for ref in refs:
        assert ref.startswith("/api/v1/")
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert asset.content
    # No inline script: every <script> has a src (the content security policy needs it).
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert client.get("/api/v1/openapi.json").json()["openapi"].startswith("3.1")


def test_the_vendored_swagger_ui_is_the_pinned_release_with_its_licence() -> None:
    source = json.loads((ASSETS_DIR / "swagger-ui" / "SOURCE.json").read_text())
    assert source["package"] == "swagger-ui-dist"
    assert source["version"].split(".")[0] == "5"  # OpenAPI 3.1 needs Swagger UI 5
    assert source["integrity"].startswith("sha512-")
    for name, sha256 in source["files"].items():
        data = (ASSETS_DIR / "swagger-ui" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha256, f"{name} differs from the release"
    assert {"LICENSE", "NOTICE", "swagger-ui-bundle.js", "swagger-ui.css"} <= set(source["files"])
    script = Path(__file__).resolve().parents[2] / "scripts" / "vendor-swagger-ui"
    assert f"VERSION={source['version']}" in script.read_text()
    assert f"INTEGRITY={source['integrity']}" in script.read_text()


def _has_security_headers(response: Any) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.request.url)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    scripts = directives.get("script-src", directives["default-src"])
    assert scripts in ("'self'", "'none'")  # no inline scripts, no eval
    assert "'unsafe-inline'" not in directives["default-src"]
    assert directives["frame-ancestors"] == "'self'"


def test_every_response_carries_the_security_headers(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    record_id = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    responses = [
        client.get("/"),
        client.get("/static/kho.css"),
        client.get("/api/v1/docs"),
        client.get("/api/v1/static/swagger-ui/swagger-ui-bundle.js"),
        client.get("/api/v1/openapi.json"),
        client.get(f"/api/v1/records/{record_id}/content", headers=headers),
        client.get(
            f"/api/v1/records/{record_id}/verification", headers={**headers, "Accept": "text/html"}
        ),
        client.get("/api/v1/records"),  # 405
        client.get("/no/such/page"),  # 404
        client.get(f"/api/v1/records/{record_id}"),  # 401
        client.get("/healthz"),
        client.get("/metrics"),
    ]
    assert responses[5].headers["content-type"] == "application/pdf"
    for response in responses:
        _has_security_headers(response)
