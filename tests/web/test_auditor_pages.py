"""The auditor's pages through the app (TestClient, both stacks): a PDF's report from an
upload (bad input a clear message, never a 500), the audit trail with filters and the
chain's status, and a subject's access log as the citizen would read it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.counter import DOSSIER, DUC, Counter, seed_counter
from support.web import csrf_of, login, make_user

from kho.services import Services

Pdf = Callable[..., bytes]
Meta = Callable[..., dict[str, Any]]


@pytest.fixture
def counter(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> Counter:
    return seed_counter(client, headers, signed_pdf, metadata)


@pytest.fixture
def auditor(client: TestClient, services: Services) -> TestClient:
    make_user(services, "kiemtra", "auditor", agency=None)
    assert login(client, "kiemtra").status_code == 303
    return client


def upload(client: TestClient, data: bytes | None, name: str = "giay.pdf") -> Any:
    files = {"file": (name, data, "application/pdf")} if data is not None else None
    return client.post(
        "/verify",
        data={"csrf_token": csrf_of(client, "/verify")},
        files=files,
    )


def test_verify_shows_the_report_of_an_uploaded_pdf(
    auditor: TestClient, signed_pdf: Pdf, services: Services
) -> None:
    form = auditor.get("/verify")
    assert 'enctype="multipart/form-data"' in form.text and '<label for="file">' in form.text
    good = upload(auditor, signed_pdf())
    assert good.status_code == 200
    assert "Hợp lệ" in good.text and "TOTAL-PASSED" in good.text
    untrusted = upload(auditor, signed_pdf("TRÍCH LỤC", signer="untrusted"))
    assert "Chưa xác định được" in untrusted.text and "INDETERMINATE" in untrusted.text
    events = [e for e in services.backends.trail.events() if e.action == "verify"]
    assert [e.actor.get("user") for e in events] == ["kiemtra", "kiemtra"]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"not a pdf at all", "Không đọc được tệp"),
        (b"", "Tệp rỗng"),
        (None, "Hãy chọn một tệp PDF"),
    ],
)
def test_verify_bad_input_is_a_message_not_a_500(
    auditor: TestClient, data: bytes | None, said: str
) -> None:
    answer = upload(auditor, data)
    assert 400 <= answer.status_code < 500
    assert said in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_verify_without_the_csrf_token_is_refused(auditor: TestClient, signed_pdf: Pdf) -> None:
    answer = auditor.post("/verify", files={"file": ("a.pdf", signed_pdf(), "application/pdf")})
    assert answer.status_code == 403


def test_the_audit_page_filters_and_shows_the_chain(
    auditor: TestClient, counter: Counter, services: Services
) -> None:
    make_user(services, "canbo", "officer")
    officer = TestClient(auditor.app)
    assert login(officer, "canbo").status_code == 303
    officer.get(f"/subjects/{DUC}", params={"dossier_code": DOSSIER})
    page = auditor.get("/audit")
    assert page.status_code == 200
    assert 'data-chain-ok="true"' in page.text
    for name in ("subject_id", "user", "agency", "dossier", "record_id", "from", "to"):
        assert f'name="{name}"' in page.text
    mine = auditor.get("/audit", params={"user": "canbo", "action": "lookup"})
    rows = mine.text.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 1 and "lookup" in rows and DOSSIER in rows
    everything = auditor.get("/audit", params={"user": "canbo"}).text.split("<tbody>")[1]
    assert "user.login" in everything and "kiemtra" not in everything
    by_dossier = auditor.get("/audit", params={"dossier": DOSSIER, "action": "lookup"})
    assert "canbo" in by_dossier.text
    by_record = auditor.get("/audit", params={"record_id": counter.revoked, "action": "revoke"})
    assert by_record.text.split("<tbody>")[1].count("<tr>") == 1
    days = auditor.get("/audit", params={"from": "01/01/2000", "to": "31/12/2000"})
    assert days.text.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") == 0
    bad = auditor.get("/audit", params={"from": "hôm qua"})
    assert bad.status_code == 422 and "dd/mm/yyyy" in bad.text


def test_officers_may_not_read_the_audit_trail(client: TestClient, services: Services) -> None:
    make_user(services, "canbo", "officer")
    assert login(client, "canbo").status_code == 303
    assert client.get("/audit").status_code == 403


def test_the_access_log_reads_like_a_citizen_would_want(
    auditor: TestClient, counter: Counter, services: Services
) -> None:
    make_user(services, "canbo", "officer")
    officer = TestClient(auditor.app)
    assert login(officer, "canbo").status_code == 303
    officer.get(f"/records/{counter.reusable[0]}", params={"dossier_code": DOSSIER})
    asks = auditor.get(f"/subjects/{DUC}/access-log")
    assert "Cần mã hồ sơ đang xử lý" in asks.text and "<tbody>" not in asks.text
    page = auditor.get(
        f"/subjects/{DUC}/access-log", params={"dossier_code": "000.00.15.H62-261123-0009"}
    )
    assert page.status_code == 200
    body = page.text.split("<tbody>")[1]
    assert "000.00.15.H62" in body and DOSSIER in body and "Xem kết quả" in body
    assert "canbo" not in body  # staff names are left out of what the citizen reads
    assert "Nộp lưu kết quả" in body
