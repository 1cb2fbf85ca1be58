"""Proposals from OCR text: the national identifiers and formats of DOMAIN.md, checked."""

from __future__ import annotations

from support.ocrpages import page

from kho.digitization.ocr import OcrPage
from kho.digitization.proposals import propose, title_case

BIRTH = page(
    "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "XÃ TÂN PHONG Độc lập - Tự do - Hạnh phúc",
    "Số: 000.00.15.H62-190315-0042-KQ1",
    "GIẤY KHAI SINH",
    "Họ, chữ đệm, tên: NGUYỄN THỊ HỒNG NHUNG",
    "Ngày, tháng, năm sinh: 02/09/2018",
    "Số định danh cá nhân: 012318004567",
    "Mã hồ sơ: 000.00.15.H62-190315-0042",
    "Tân Phong, ngày 15 tháng 3 năm 2019",
)


def test_a_birth_certificate_proposes_every_field_with_its_place() -> None:
    proposal = propose([BIRTH])
    values = proposal.values()
    assert values["result_code"] == "000.00.15.H62-190315-0042-KQ1"
    assert values["dossier_code"] == "000.00.15.H62-190315-0042"
    assert values["result_type"] == "Giấy khai sinh"
    assert values["subjects"] == [
        {"kind": "citizen", "id": "012318004567", "name": "Nguyễn Thị Hồng Nhung"}
    ]
    assert values["issued_on"] == "2019-03-15"  # not the birth date
    assert values["issuer_code"] == "000.00.15.H62"
    subjects = proposal.fields["subjects"]
    assert subjects.page == 1 and subjects.box is not None
    assert 0.9 <= subjects.confidence <= 1.0
    # the issuer proposed from the dossier code is always for the officer to confirm
    assert any(r.field == "issuer_code" for r in proposal.review)
    missing = {r.field for r in proposal.review if r.page is None}
    assert missing == {"procedure_code", "procedure_name"}


def test_dates_read_without_diacritics_and_impossible_dates_are_not_proposed() -> None:
    folded = page("GIAY KHAI SINH", "Tan Phong, ngay 5 thang 11 nam 2020")
    assert propose([folded]).values()["issued_on"] == "2020-11-05"
    impossible = page("GIẤY KHAI SINH", "Tân Phong, ngày 31 tháng 2 năm 2020")
    assert "issued_on" not in propose([impossible]).fields


def test_an_unknown_province_prefix_is_flagged_not_dropped() -> None:
    proposal = propose(
        [page("GIẤY KHAI SINH", "Họ và tên: LÊ VĂN AN", "Số định danh cá nhân: 003201001234")]
    )
    subject = proposal.fields["subjects"]
    assert subject.value[0]["id"] == "003201001234"
    assert subject.confidence < 0.8
    assert any("003" in r.reason and r.field == "subjects" for r in proposal.review)


def test_enterprise_codes_have_their_check_digit_verified() -> None:
    good = propose(
        [page("Tên doanh nghiệp: CÔNG TY TNHH ĐỨC THÀNH", "Mã số doanh nghiệp: 0101245486")]
    )
    assert good.fields["subjects"].value == [
        {"kind": "enterprise", "id": "0101245486", "name": "CÔNG TY TNHH ĐỨC THÀNH"}
    ]
    assert not any(r.field == "subjects" for r in good.review)
    bad = propose([page("Tên doanh nghiệp: CÔNG TY AN BÌNH", "Mã số doanh nghiệp: 0101245487")])
    assert bad.fields["subjects"].confidence < 0.8
    assert any("kiểm tra" in r.reason for r in bad.review)


def test_validity_dates_and_a_notation_without_dossier() -> None:
    proposal = propose(
        [
            page(
                "QUYẾT ĐỊNH",
                "Số: 123/QĐ-UBND",
                "Ông/Bà: PHẠM THỊ MAI",
                "Số CCCD: 036190000321",
                "Quyết định có giá trị đến ngày 31/12/2030",
                "Phạm vi: Toàn quốc",
                "Nam Định, ngày 2 tháng 1 năm 2015",
            )
        ]
    )
    values = proposal.values()
    assert values["result_code"] == "123/QĐ-UBND"
    assert "dossier_code" not in values
    assert values["valid_until"] == "2030-12-31"
    assert values["validity_scope"] == "Toàn quốc"
    assert values["issued_on"] == "2015-01-02"
    assert values["result_type"] == "Quyết định"


def test_low_confidence_words_put_their_field_and_page_up_for_review() -> None:
    shaky = page(
        "GIẤY KHAI SINH",
        "Họ, chữ đệm, tên: NGUYỄN THỊ HỒNG NHUNG",
        "Số định danh cá nhân: 012318004567",
        low="012318004567 GIẤY KHAI SINH",
    )
    proposal = propose([shaky], review_below=0.8)
    fields = {r.field for r in proposal.review}
    assert "subjects" in fields and "result_type" in fields
    assert any(r.page == 1 and r.field is None for r in proposal.review)  # the page itself


def test_a_page_without_text_and_a_blank_page_are_named() -> None:
    proposal = propose([BIRTH, OcrPage(2, ()), OcrPage(3, ())], blank_pages=[3])
    reasons = {r.page: r.reason for r in proposal.review if r.field is None}
    assert "không nhận dạng" in reasons[2]
    assert "trống" in reasons[3]


def test_names_keep_their_diacritics_in_title_case() -> None:
    assert title_case("NGUYỄN THỊ HỒNG NHUNG") == "Nguyễn Thị Hồng Nhung"
    assert title_case("đặng  thị   lan") == "Đặng Thị Lan"


def test_a_validity_written_out_in_words_is_read() -> None:
    proposal = propose([page("GIẤY PHÉP", "Giấy này có giá trị đến ngày 31 tháng 12 năm 2030.")])
    assert proposal.values()["valid_until"] == "2030-12-31"
    assert "issued_on" not in proposal.fields  # a validity date is not the issuing date
