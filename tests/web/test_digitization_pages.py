"""Số hóa in the web UI: upload the scans, review what OCR proposes (fields with confidence
and page, the text of each page), correct the metadata, attach the same scans again, sign
with the agency's key and deposit — for one's own agency only; every refusal a page with a
message, never a 500. Real OCR (Tesseract), a real PKCS#12 key, on every requested stack."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from support.scans import BIRTH, ENTERPRISE, scan, tiff
from support.tokens import P12_PASSWORD, make_pkcs12
from support.web import csrf_of, login, make_user

from kho.demo.pki import TestPKI
from kho.demo.scans import render_scan
from kho.server import create_app
from kho.services import Access, Services
from kho.settings import Settings
from kho.wiring import build_services

pytestmark = pytest.mark.slow

AGENCY = "000.00.15.H62"  # BIRTH's issuer; the test PKI's agency key is its key
OTHER = "000.20.15.H62"
PNG = "image/png"
# The second sheet of the same result.
BACK = replace(
    BIRTH,
    title="GHI CHÚ",
    notation="Trang 2",
    facts=[("Ghi chú", "Đăng ký đúng hạn")],
    body=("Bản chính lưu tại Ủy ban nhân dân xã.",),
)


@pytest.fixture(scope="module")
def p12(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pkcs12(pki, tmp_path_factory.mktemp("p12"))


def _client(services: Services) -> Iterator[TestClient]:
    make_user(services, "canbo", "officer", agency=AGENCY)
    make_user(services, "luutru", "records_manager", agency=OTHER)
    make_user(services, "kiemtra", "auditor", agency=AGENCY)
    make_user(services, "quantri", "admin", agency=None)
    with TestClient(create_app(services, outbox_worker=False)) as client:
        yield client


@pytest.fixture
def signing(settings: Settings, p12: Path) -> Iterator[Services]:
    built = build_services(
        settings.model_copy(
            update={"signing_pkcs12": p12, "signing_pkcs12_password": SecretStr(P12_PASSWORD)}
        )
    )
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def web(signing: Services) -> Iterator[TestClient]:
    yield from _client(signing)


@pytest.fixture
def keyless(services: Services) -> Iterator[TestClient]:
    yield from _client(services)


def upload(
    client: TestClient, files: list[tuple[str, bytes, str]], path: str = "/digitization/proposals"
) -> Any:
    return client.post(
        path,
        data={"csrf_token": csrf_of(client, "/digitization")},
        files=[("files", f) for f in files],
    )


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return unescape(found.group(1))


def textarea(html: str) -> str:
    found = re.search(r'<textarea id="metadata"[^>]*>(.*?)</textarea>', html, re.S)
    assert found
    return unescape(found.group(1))


def confirm(
    client: TestClient, review: str, metadata: str, files: list[tuple[str, bytes, str]]
) -> Any:
    return client.post(
        "/digitization",
        data={
            "csrf_token": csrf_of(client, "/digitization"),
            "review": review,
            "metadata": metadata,
        },
        files=[("files", f) for f in files],
    )


def test_review_correct_sign_and_deposit(web: TestClient, signing: Services) -> None:
    assert login(web, "canbo").status_code == 303
    form = web.get("/digitization")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    assert 'name="csrf_token"' in form.text and 'data-signing="missing"' not in form.text

    # Two pages of one result: the birth certificate and a second sheet.
    first = scan(BIRTH, rotate=0.6, noise=0.01)
    second = scan(BACK)
    pages = [("khai-sinh-1.png", first, PNG), ("khai-sinh-2.png", second, PNG)]
    proposed = upload(web, pages)
    assert proposed.status_code == 200, proposed.text[:3000]
    html = proposed.text
    # The fields, each with its confidence and page.
    row = re.search(
        r'<tr data-field="dossier_code" data-confidence="([0-9.]+)"[^>]*>(.*?)</tr>', html, re.S
    )
    assert row and "000.00.15.H62-190315-0042" in row.group(2)
    assert 0 < float(row.group(1)) <= 1
    cells = re.findall(r"<td>(.*?)</td>", row.group(2), re.S)
    assert cells[2].strip() == "1"  # read on page 1
    assert "15/03/2019" in html  # issued_on, shown dd/mm/yyyy
    # The OCR text of each page.
    texts = re.findall(
        r'<details class="ocr-page" data-page="(\d)".*?<pre lang="vi">(.*?)</pre>', html, re.S
    )
    assert [n for n, _t in texts] == ["1", "2"]
    assert "KHAI SINH" in unescape(texts[0][1]).upper()
    assert "GHI CH" in unescape(texts[1][1]).upper()
    # Both scans named with their SHA-256.
    for data in (first, second):
        assert f'data-sha256="{hashlib.sha256(data).hexdigest()}"' in html

    review = hidden(html, "review")
    metadata = json.loads(textarea(html))
    assert metadata["issuer_code"] == AGENCY
    assert metadata["subjects"][0]["id"] == "012318004567"
    metadata.update(procedure_code="1.001193", procedure_name="Thủ tục đăng ký khai sinh")
    corrected = json.dumps(metadata, ensure_ascii=False)

    # Other scans than the reviewed ones, or the same in another order: refused, nothing signed.
    other = confirm(web, review, corrected, [("khac.png", scan(ENTERPRISE, noise=0.03), PNG)])
    assert other.status_code == 400 and "SHA-256" in other.text
    swapped = confirm(web, review, corrected, list(reversed(pages)))
    assert swapped.status_code == 400 and "thứ tự" in swapped.text
    # The review page comes back with what was typed.
    assert json.loads(textarea(swapped.text)) == metadata
    # Another agency's result: 403 with a Vietnamese message.
    foreign = confirm(web, review, json.dumps({**metadata, "issuer_code": OTHER}), pages)
    assert foreign.status_code == 403 and "cơ quan mình" in foreign.text
    # Not JSON, or not an object.
    assert confirm(web, review, "{issuer_code:", pages).status_code == 400
    assert confirm(web, review, "[1, 2]", pages).status_code == 400
    # A review field that was tampered with.
    assert confirm(web, review[:-4] + "AAAA", corrected, pages).status_code == 400
    assert not list(signing.backends.packages.record_ids())

    created = confirm(web, review, corrected, pages)
    assert created.status_code == 201, created.text[:3000]
    record_id = re.search(r'data-record-id="([0-9A-Z]{26})" data-outcome="created"', created.text)
    assert record_id
    record = signing.records.get(
        record_id.group(1), Access.system(purpose="000.00.15.H62-190315-0042")
    )
    assert record["origin"] == "digitized"
    assert record["issuer_code"] == AGENCY
    assert record["digitization"]["pages"] == 2
    assert record["digitization"]["signed_by"] == "UBND xã Tân Phong"
    assert record["digitization"]["scan_sha256"] == [
        hashlib.sha256(d).hexdigest() for d in (first, second)
    ]
    # The deposit is audited as the officer of their agency.
    deposits = [e for e in signing.backends.trail.events() if e.action == "deposit"]
    assert deposits[-1].actor.get("user") == "canbo" and deposits[-1].actor.get("agency") == AGENCY

    # The same scans again: the record already held, not a second one.
    again = confirm(web, review, corrected, pages)
    assert again.status_code == 200 and 'data-outcome="existing"' in again.text
    assert record_id.group(1) in again.text


def test_bad_uploads_get_a_message(web: TestClient) -> None:
    assert login(web, "canbo").status_code == 303
    rubbish = upload(web, [("ghi-chu.png", b"not an image at all", PNG)])
    assert rubbish.status_code == 422 and "Không đọc được bản quét" in rubbish.text
    assert 'role="alert"' in rubbish.text
    text = upload(web, [("a.txt", "Giấy khai sinh".encode(), "text/plain")])
    assert text.status_code == 422
    truncated = scan(BIRTH)[:5000]
    assert upload(web, [("cut.png", truncated, PNG)]).status_code == 422
    empty = upload(web, [("empty.png", b"", PNG)])
    assert empty.status_code == 400 and "ít nhất một tệp" in empty.text
    nothing = web.post(
        "/digitization/proposals", data={"csrf_token": csrf_of(web, "/digitization")}
    )
    assert nothing.status_code == 400
    signed = web.post(
        "/digitization",
        data={"csrf_token": csrf_of(web, "/digitization"), "metadata": "{}"},
    )
    assert signed.status_code == 400 and "tải các bản quét lên lại" in signed.text


def test_without_csrf_the_upload_is_refused(web: TestClient) -> None:
    assert login(web, "canbo").status_code == 303
    response = web.post("/digitization/proposals", files=[("files", ("a.png", scan(BIRTH), PNG))])
    assert response.status_code == 403


def test_only_people_of_an_agency_digitize(web: TestClient) -> None:
    assert login(web, "kiemtra").status_code == 303
    assert web.get("/digitization").status_code == 403  # an auditor
    web.cookies.clear()
    assert login(web, "quantri").status_code == 303
    no_agency = web.get("/digitization")
    assert no_agency.status_code == 403 and "chưa gắn với cơ quan" in no_agency.text
    web.cookies.clear()
    assert login(web, "luutru").status_code == 303  # a records manager of OTHER
    page = web.get("/digitization")
    assert page.status_code == 200 and OTHER in page.text


def test_a_multi_page_tiff_without_a_key(keyless: TestClient, services: Services) -> None:
    """Proposals need no key; signing says which setting is missing, and deposits nothing."""
    assert login(keyless, "canbo").status_code == 303
    form = keyless.get("/digitization")
    assert 'data-signing="missing"' in form.text and "KHO_SIGNING_PKCS12" in form.text
    data = tiff(render_scan(BIRTH), render_scan(BACK))
    proposed = upload(keyless, [("ho-so.tif", data, "image/tiff")])
    assert proposed.status_code == 200, proposed.text[:2000]
    assert re.findall(r'<details class="ocr-page" data-page="(\d)"', proposed.text) == ["1", "2"]
    assert "KHO_SIGNING_PKCS12" in proposed.text
    assert re.search(r'<button type="submit" disabled>', proposed.text)
    metadata = json.loads(textarea(proposed.text))
    metadata.update(procedure_code="1.001193", procedure_name="Thủ tục đăng ký khai sinh")
    refused = confirm(
        keyless,
        hidden(proposed.text, "review"),
        json.dumps(metadata, ensure_ascii=False),
        [("ho-so.tif", data, "image/tiff")],
    )
    assert refused.status_code == 503 and "KHO_SIGNING_PKCS12" in refused.text
    assert not list(services.backends.packages.record_ids())
