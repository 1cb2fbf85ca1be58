"""The national QR code: read with zbar, parsed leniently, preferred to OCR."""

from __future__ import annotations

from dataclasses import replace

from support.ocrpages import page
from support.scans import BIRTH

from kho.demo.scans import render_scan
from kho.digitization.proposals import propose
from kho.digitization.qr import merge_qr, parse_payload, read_qr

PAYLOAD = (
    "Mã hồ sơ: 000.00.15.H62-190315-0042\nMã TTHC: 1.001193\nSố định danh: 012318004567\n"
    "Tên giấy tờ: Giấy khai sinh\nHiệu lực đến: 31/12/2030\nPhạm vi: Toàn quốc"
)


def test_payloads_in_json_or_key_value_form_name_the_same_fields() -> None:
    expected = {
        "dossier_code": "000.00.15.H62-190315-0042",
        "procedure_code": "1.001193",
        "owner_id": "012318004567",
        "result_type": "Giấy khai sinh",
        "valid_until": "2030-12-31",
        "validity_scope": "Toàn quốc",
    }
    assert parse_payload(PAYLOAD) == expected
    as_json = (
        '{"MaHoSo": "000.00.15.H62-190315-0042", "MaTTHC": "1.001193", '
        '"SoDinhDanh": "012318004567", "TenGiayTo": "Giấy khai sinh", '
        '"HieuLucDen": "2030-12-31", "PhamVi": "Toàn quốc"}'
    )
    assert parse_payload(as_json) == expected
    assert parse_payload("https://dichvucong.example/tra-cuu?ma=000.00.15.H62-190315-0042") == {
        "dossier_code": "000.00.15.H62-190315-0042"
    }
    assert parse_payload("Hiệu lực đến: 31/02/2030") == {}  # not a real date


def test_a_printed_qr_code_is_read_with_its_vietnamese_intact() -> None:
    image = render_scan(replace(BIRTH, qr_payload=PAYLOAD), rotate=1.5, noise=0.02)
    codes = read_qr([(1, image)])
    assert len(codes) == 1
    assert codes[0].fields["result_type"] == "Giấy khai sinh"
    assert codes[0].fields["validity_scope"] == "Toàn quốc"
    left, top, right, bottom = codes[0].box
    assert 0 <= left < right <= 1 and 0 <= top < bottom <= 1


def test_the_qr_code_wins_over_ocr_and_a_disagreement_is_flagged() -> None:
    misread = page(
        "GIẤY KHAI SINH",
        "Họ, chữ đệm, tên: NGUYỄN THỊ HỒNG NHUNG",
        "Số định danh cá nhân: 012318004561",  # one digit misread
        "Mã hồ sơ: 000.00.15.H62-190315-0042",
    )
    image = render_scan(replace(BIRTH, qr_payload=PAYLOAD))
    merged = merge_qr(propose([misread]), read_qr([(1, image)]))
    subjects = merged.fields["subjects"]
    assert subjects.value[0]["id"] == "012318004567"
    assert subjects.value[0]["name"] == "Nguyễn Thị Hồng Nhung"
    assert merged.fields["procedure_code"].source == "qr"
    assert merged.fields["valid_until"].value == "2030-12-31"
    flagged = [r for r in merged.review if r.field == "subjects"]
    assert flagged and "012318004561" in flagged[0].reason
    # a field the QR code gives is no longer "not found"
    assert not any(r.field == "procedure_code" and r.page is None for r in merged.review)


def test_a_page_without_a_qr_code_gives_none() -> None:
    assert read_qr([(1, render_scan(BIRTH))]) == []
