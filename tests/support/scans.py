"""Scans the digitization tests make themselves: a Vietnamese result drawn at 200-300 dpi,
turned, blurred and speckled, saved as PNG, JPEG or (multi-page) TIFF."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from typing import Any

from PIL import Image

from kho.demo.scans import PaperResult, render_scan

BIRTH = PaperResult(
    title="GIẤY KHAI SINH",
    notation="Số: 000.00.15.H62-190315-0042-KQ1",
    facts=[
        ("Họ, chữ đệm, tên", "NGUYỄN THỊ HỒNG NHUNG"),
        ("Ngày, tháng, năm sinh", "02/09/2018"),
        ("Số định danh cá nhân", "012318004567"),
        ("Mã hồ sơ", "000.00.15.H62-190315-0042"),
    ],
    issued_on=date(2019, 3, 15),
)
BIRTH_META: dict[str, Any] = {
    "issuer_code": "000.00.15.H62",
    "result_code": "000.00.15.H62-190315-0042-KQ1",
    "dossier_code": "000.00.15.H62-190315-0042",
    "procedure_code": "1.001193",
    "procedure_name": "Thủ tục đăng ký khai sinh",
    "result_type": "Giấy khai sinh",
    "subjects": [{"kind": "citizen", "id": "012318004567", "name": "Nguyễn Thị Hồng Nhung"}],
    "issued_on": "2019-03-15",
}
ENTERPRISE = PaperResult(
    title="GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP",
    notation="Số: 000.00.15.H62-210420-0311-KQ2",
    facts=[
        ("Tên doanh nghiệp", "CÔNG TY TNHH ĐỨC THÀNH"),
        ("Mã số doanh nghiệp", "0101245486"),
        ("Người đại diện theo pháp luật", "ĐẶNG THỊ LAN"),
        ("Ông/Bà", "ĐẶNG THỊ LAN"),
        ("Số định danh cá nhân", "079185002468"),
    ],
    issued_on=date(2021, 4, 20),
    body=("Giấy này có giá trị đến ngày 31 tháng 12 năm 2030.",),
)


def numbered(result: PaperResult, seq: int) -> tuple[PaperResult, dict[str, Any]]:
    """The birth result under another dossier number (a distinct paper result)."""
    dossier = f"000.00.15.H62-190315-{seq:04d}"
    paper = replace(
        result,
        notation=f"Số: {dossier}-KQ1",
        facts=[*result.facts[:3], ("Mã hồ sơ", dossier)],
    )
    meta = {**BIRTH_META, "result_code": f"{dossier}-KQ1", "dossier_code": dossier}
    return paper, meta


def encode(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, dpi=image.info.get("dpi", (200, 200)), **options)
    return out.getvalue()


def scan(result: PaperResult, fmt: str = "PNG", **degrade: Any) -> bytes:
    return encode(render_scan(result, **degrade), fmt)


def tiff(*pages: Image.Image) -> bytes:
    out = io.BytesIO()
    pages[0].save(
        out,
        format="TIFF",
        save_all=True,
        append_images=list(pages[1:]),
        dpi=pages[0].info.get("dpi", (200, 200)),
        compression="tiff_deflate",
    )
    return out.getvalue()
