"""What a deposit answers besides the record: 409 `/problems/duplicate-content` for bytes
already archived as another result, and warnings (`subject_id_not_in_text`) in the response
and the manifest, with scans without text exempt."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pypdf
from fastapi.testclient import TestClient
from support.api import assert_problem, deposit

from kho.archive.manifest import Manifest
from kho.demo.pki import TestPKI
from kho.services import Services

DUC = "001203001234"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def post(client: TestClient, headers: dict[str, str], pdf: bytes, meta: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("a.pdf", pdf, "application/pdf")},
        data={"metadata": json.dumps(meta, ensure_ascii=False)},
    )


def test_the_same_bytes_under_another_result_code_are_409_naming_the_record(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    pdf = signed_pdf()
    first = deposit(client, headers, pdf, metadata())
    body = assert_problem(post(client, headers, pdf, metadata()), 409, "duplicate-content")
    assert body["record_id"] == first["record_id"]
    assert first["result_code"] in body["detail"]
    found = client.get(f"/api/v1/subjects/{DUC}/records", headers=headers).json()
    assert [i["record_id"] for i in found["items"]] == [first["record_id"]]
    # other bytes under the taken code stay a plain conflict
    taken = {
        **metadata(),
        "result_code": first["result_code"],
        "dossier_code": first["dossier_code"],
    }
    assert_problem(post(client, headers, signed_pdf("BẢN KHÁC"), taken), 409, "conflict")


def _warnings(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(w["code"], w["message"]) for w in body["warnings"]]


def test_a_subject_id_missing_from_the_text_is_a_warning_in_the_response_and_manifest(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    services: Services,
) -> None:
    lan = {"kind": "citizen", "id": "079188001122", "name": "Phạm Thị Lan"}
    duc = {"kind": "citizen", "id": DUC, "name": "Trần Văn Đức"}
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số định danh cá nhân", DUC))
    body = deposit(client, headers, pdf, metadata(subjects=[duc, lan]))
    ((code, message),) = _warnings(body)
    assert code == "subject_id_not_in_text"
    assert "079188001122" in message and "Phạm Thị Lan" in message
    manifest = services.backends.packages.latest_manifest(body["record_id"])
    assert [w.to_json() for w in manifest.warnings] == body["warnings"]
    # the record view carries them too, and an identical deposit again answers the same
    again = post(client, headers, pdf, metadata(subjects=[duc, lan]))
    assert again.status_code == 409  # (same bytes, another result code)
    record = client.get(f"/api/v1/records/{body['record_id']}", headers=headers).json()
    assert record["warnings"] == body["warnings"]


def test_ids_are_compared_digits_only(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    grouped = signed_pdf("GIẤY KHAI SINH", ("Số định danh cá nhân", "001 203 001 234"))
    assert deposit(client, headers, grouped, metadata())["warnings"] == []
    branch = signed_pdf("GIẤY CHỨNG NHẬN", ("Mã số chi nhánh", "0101234565 - 001"))
    subjects = [{"kind": "enterprise", "id": "0101234565-001", "name": "Chi nhánh Sông Hồng"}]
    assert deposit(client, headers, branch, metadata(subjects=subjects))["warnings"] == []
    other = signed_pdf("GIẤY KHAI SINH", ("Số định danh cá nhân", "001203001235"))
    assert [w["code"] for w in deposit(client, headers, other, metadata())["warnings"]] == [
        "subject_id_not_in_text"
    ]


def test_a_scan_without_text_is_exempt(
    client: TestClient, headers: dict[str, str], metadata: Meta, pki: TestPKI
) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    scan = pki.sign_pdf(out.getvalue())
    body = deposit(client, headers, scan, metadata())
    assert body["extraction"]["pages_needing_ocr"] == [1]
    assert body["warnings"] == []


def test_warnings_of_old_manifests_are_read_with_a_code(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta, services: Services
) -> None:
    """Manifests written before warnings had codes hold plain strings: still readable."""
    subjects = [{"kind": "citizen", "id": "099203001234", "name": "Người ở nước ngoài"}]
    body = deposit(client, headers, signed_pdf(), metadata(subjects=subjects))
    manifest = services.backends.packages.latest_manifest(body["record_id"])
    old = json.loads(manifest.to_bytes())
    old["warnings"] = ["personal ID 099203001234: unknown province prefix 099", "kiểm tra lại"]
    read = Manifest.from_bytes(json.dumps(old, ensure_ascii=False).encode())
    assert [w.to_json() for w in read.warnings] == [
        {
            "code": "unknown_province_prefix",
            "message": "personal ID 099203001234: unknown province prefix 099",
        },
        {"code": "note", "message": "kiểm tra lại"},
    ]
    # and the new form round-trips
    assert Manifest.from_bytes(manifest.to_bytes()).warnings == manifest.warnings
    assert [w["code"] for w in body["warnings"]] == [
        "unknown_province_prefix",
        "subject_id_not_in_text",
    ]
