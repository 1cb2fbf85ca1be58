"""The printable report: served on `Accept: text/html` by the verification endpoints,
Vietnamese first, every field an auditor needs, and every value from the PDF escaped."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, deposit
from support.backends import settings_overrides

from kho.api.app import create_api
from kho.archive.signatures import SubIndication
from kho.demo.pki import TestPKI
from kho.services import Access, Services
from kho.settings import load_settings
from kho.web.reports import SUBINDICATIONS, render_report
from kho.wiring import build_services

Meta = Callable[..., dict[str, Any]]
HTML = {"Accept": "text/html"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HOSTILE = '<script>alert("x")</script>&<img src=x onerror=alert(1)>'


def upload(client: TestClient, headers: dict[str, str], pdf: bytes, accept: str) -> Any:
    return client.post(
        "/api/v1/verify",
        headers={"Authorization": headers["Authorization"], "Accept": accept},
        files={"file": ("kết quả.pdf", pdf, "application/pdf")},
    )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_stored_report_as_html(
    client: TestClient,
    headers: dict[str, str],
    case_pdfs: dict[str, bytes],
    metadata: Meta,
    pki: TestPKI,
) -> None:
    record = deposit(client, headers, case_pdfs["two_signatures"], metadata())
    read = {"Authorization": headers["Authorization"], "X-Dossier-Code": PURPOSE, **HTML}
    url = f"/api/v1/records/{record['record_id']}/verification"
    response = client.get(url, headers=read)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "private, no-store"
    html = response.text
    text = text_of(html)
    assert "Báo cáo xác thực chữ ký số" in text
    assert text.index("Kết luận: Hợp lệ") < text.index("Verdict: Valid")
    assert record["record_id"] in text and record["result_code"] in text
    for signer in ("agency", "second"):
        cert = pki.signer_certificate(signer)
        assert format(cert.serial_number, "X") in text
        assert cert.subject.rfc4514_string() in text
    assert "CN=Kho Test CA chuyên dùng Chính phủ" in text  # the issuer
    assert "Toàn bộ phiên bản đã ký" in text and "Toàn bộ tệp" in text  # coverage of each
    assert "Thời điểm ký (dấu thời gian)" in text and "(UTC+07:00)" in text
    assert "Sửa đổi sau khi ký" in text and "Thời điểm xác thực" in text
    assert "@media print" in html
    assert html.count('class="signature"') == 2

    again = client.post(url, headers=read)  # re-validation answers the same way
    assert again.headers["content-type"].startswith("text/html")
    assert text_of(again.text).count("TOTAL-PASSED") >= 3  # verdict, signatures, history


def test_uploaded_report_as_html_explains_the_subindication(
    client: TestClient, headers: dict[str, str], case_pdfs: dict[str, bytes]
) -> None:
    response = upload(client, headers, case_pdfs["tampered"], BROWSER)
    assert response.status_code == 200
    text = text_of(response.text)
    assert "Kết luận: Không hợp lệ" in text and "TOTAL-FAILED / HASH_FAILURE" in text
    assert "Sai giá trị băm: nội dung đã ký bị thay đổi" in text
    assert "kết quả.pdf" in text

    revoked = text_of(upload(client, headers, case_pdfs["revoked"], "text/html").text)
    assert "INDETERMINATE / REVOKED_NO_POE" in revoked
    assert "Chưa xác định được" in revoked

    unsigned = text_of(upload(client, headers, case_pdfs["unsigned"], "text/html").text)
    assert "Không có chữ ký số" in unsigned


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("*/*", False),
        ("application/json", False),
        ("application/json, text/html", False),
        ("text/html;q=0.5, application/json", False),
        ("text/html, application/json;q=0.9", True),
    ],
)
def test_content_negotiation(
    client: TestClient,
    headers: dict[str, str],
    case_pdfs: dict[str, bytes],
    accept: str,
    html: bool,
) -> None:
    response = upload(client, headers, case_pdfs["good"], accept)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html" if html else "application/json")


def test_html_of_untrusted_pdf_content_is_escaped(
    client: TestClient,
    headers: dict[str, str],
    pki: TestPKI,
    make_pdf: Callable[..., bytes],
) -> None:
    pdf = pki.sign_pdf(make_pdf(), field_name=HOSTILE)
    response = upload(client, headers, pdf, "text/html")
    assert response.status_code == 200
    assert "<script" not in response.text and "<img" not in response.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;img" in response.text


def test_render_escapes_every_value() -> None:
    signature = {
        "field_name": HOSTILE,
        "signer": {
            "subject": HOSTILE,
            "issuer": HOSTILE,
            "serial": HOSTILE,
            "common_name": HOSTILE,
        },
        "claimed_signing_time": HOSTILE,
        "timestamp_time": "2026-01-02T03:04:05+00:00",
        "timestamp_trusted": True,
        "indication": HOSTILE,
        "subindication": HOSTILE,
        "coverage": HOSTILE,
        "modified_after_signing": True,
        "modification_level": HOSTILE,
        "intact": True,
        "valid": False,
        "trusted": None,
        "validation_time": HOSTILE,
        "message_vi": HOSTILE,
        "message_en": HOSTILE,
    }
    report = {
        "signed": True,
        "indication": HOSTILE,
        "subindication": HOSTILE,
        "validated_at": HOSTILE,
        "validation_time_used": None,
        "signatures": [signature],
        "record": {k: HOSTILE for k in ("record_id", "result_code", "filename", "deposited_at")},
        "document": {"sha256": HOSTILE, "size": HOSTILE},
        "trust": {"fingerprint": HOSTILE, "roots": [{"subject": HOSTILE, "sha256": HOSTILE}]},
        "validations": [{"validated_at": HOSTILE, "indication": HOSTILE}],
    }
    html = render_report(report, zone=ZoneInfo("Asia/Ho_Chi_Minh"), source=HOSTILE)
    assert "<script" not in html and "<img" not in html
    assert html.count("&lt;script&gt;") >= 15


def test_every_subindication_is_explained_in_vietnamese() -> None:
    assert set(SUBINDICATIONS) == {s.value for s in SubIndication}
    assert all(vi and en and vi != en for vi, en in SUBINDICATIONS.values())


def test_api_without_the_web_layer_answers_406_to_html(
    services: Services, headers: dict[str, str], case_pdfs: dict[str, bytes]
) -> None:
    with TestClient(create_api(services)) as bare:
        response = upload(bare, headers, case_pdfs["good"], "text/html")
        assert_problem(response, 406, "not-acceptable")
        assert upload(bare, headers, case_pdfs["good"], "*/*").status_code == 200


def test_upload_over_the_limit_is_413(
    stack: str,
    tmp_path: Path,
    pki: TestPKI,
    case_pdfs: dict[str, bytes],
) -> None:
    settings = load_settings(
        _env_file=None,
        trust_roots=[pki.root_cert_path],
        max_upload_mb=1,
        **settings_overrides(stack, tmp_path / "small"),
    )
    services = build_services(settings)
    try:
        _key, token = services.keys.create(
            agency="000.00.15.H62", scopes=frozenset({"records:read"}), access=Access.system()
        )
        big = case_pdfs["good"] + b"%" + b"x" * (1024 * 1024 + 10)
        with TestClient(create_api(services)) as small:
            response = small.post(
                "/api/v1/verify",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("big.pdf", big, "application/pdf")},
            )
        assert_problem(response, 413, "too-large")
    finally:
        services.close()
