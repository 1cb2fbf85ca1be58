"""The README's deposit example, ready to send: a signed result the demo does not deposit
itself (a newborn's birth certificate from the demo's commune, signed by its trusted test
certificate) and its `meta.json`, written into a folder the demo prints.

Written once and then kept, like the demo's other PDFs, so depositing it again gives the
same record (200) rather than a conflict.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from kho.demo.documents import ResultDocument, render_pdf
from kho.demo.pki import TestPKI
from kho.demo.samples import DEMO_AGENCY

__all__ = ["EXAMPLE_PDF", "EXAMPLE_SUBJECT", "write_example_deposit"]

EXAMPLE_PDF = "khai-sinh.pdf"
EXAMPLE_META = "meta.json"
# A boy born in 2026 and registered in Lai Châu (prefix 012, digit 2 = 2000s male, 26 = 2026).
EXAMPLE_SUBJECT = ("citizen", "012226005678", "Nguyễn Minh Khôi")


def _metadata(today: date) -> dict[str, object]:
    dossier = f"{DEMO_AGENCY}-{today:%y%m%d}-0301"
    kind, subject_id, name = EXAMPLE_SUBJECT
    return {
        "issuer_code": DEMO_AGENCY,
        "result_code": f"{dossier}-KQ1",
        "dossier_code": dossier,
        "procedure_code": "1.001193",
        "procedure_name": "Thủ tục đăng ký khai sinh",
        "result_type": "Giấy khai sinh",
        "subjects": [{"kind": kind, "id": subject_id, "name": name}],
        "issued_on": today.isoformat(),
        "valid_until": None,
        "validity_scope": "Toàn quốc",
    }


def _document(today: date) -> ResultDocument:
    return ResultDocument(
        authority="ỦY BAN NHÂN DÂN\nXÃ TÂN PHONG",
        title="GIẤY KHAI SINH",
        notation=f"Số: 301/{today.year}",
        facts=[
            ("Họ, chữ đệm, tên", EXAMPLE_SUBJECT[2].upper()),
            ("Ngày, tháng, năm sinh", f"{today:%d/%m/%Y}"),
            ("Giới tính", "Nam"),
            ("Dân tộc / Quốc tịch", "Kinh / Việt Nam"),
            ("Nơi sinh", "Trạm y tế xã Tân Phong, tỉnh Lai Châu"),
            ("Số định danh cá nhân", EXAMPLE_SUBJECT[1]),
            ("Họ, chữ đệm, tên người mẹ", "TRẦN THỊ MAI"),
            ("Họ, chữ đệm, tên người cha", "NGUYỄN VĂN HÙNG"),
        ],
        place="Tân Phong",
        issued_on=today,
        signer_title="CHỦ TỊCH",
        signer_name="Hoàng Văn Thắng",
    )


def write_example_deposit(pki: TestPKI, folder: Path, today: date) -> Path:
    """`folder` with khai-sinh.pdf (signed) and meta.json, made if missing; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf, meta = folder / EXAMPLE_PDF, folder / EXAMPLE_META
    if not (pdf.is_file() and meta.is_file()):
        pdf.write_bytes(pki.sign_pdf(render_pdf(_document(today)), "agency", timestamp=True))
        meta.write_text(
            json.dumps(_metadata(today), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    return folder
