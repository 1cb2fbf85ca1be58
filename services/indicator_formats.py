"""The indicators' report as a text table, CSV and a spreadsheet in the layout of a
quarterly report (Vietnamese headings), all from the JSON `IndicatorService.report`
returns, so every format shows the same numbers."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

__all__ = ["CSV_COLUMNS", "to_csv", "to_table", "to_xlsx"]

CSV_COLUMNS = (
    "key",
    "name",
    "settled",
    "digitized",
    "digitization_rate",
    "target_rate",
    "signed",
    "waiting",
    "lookups",
    "lookups_found",
    "downloads_by_other_agencies",
    "subjects_served",
    "dossiers_served",
)
_GROUP_TITLES = {
    "level": "cấp hành chính",
    "issuer_code": "cơ quan",
    "procedure_code": "thủ tục hành chính",
    None: "toàn bộ",
}
_SETTLEMENT_HEADINGS = (
    "STT",
    "Mã",
    "Tên",
    "Số kết quả đã giải quyết",
    "Đã số hóa, lưu trữ",
    "Tỷ lệ số hóa",
    "Chỉ tiêu",
    "Đã ký số hợp lệ",
    "Chưa số hóa",
)
_REUSE_ROWS = (
    ("lookups", "Số lượt tra cứu kết quả đã số hóa"),
    ("lookups_found", "Số lượt tra cứu tìm thấy kết quả được tái sử dụng"),
    ("lookups_found_rate", "Tỷ lệ tra cứu tìm thấy kết quả"),
    ("downloads_by_other_agencies", "Số lượt cơ quan khác tải kết quả (thay cho bản giấy)"),
    ("subjects_served", "Số cá nhân, tổ chức được phục vụ"),
    ("dossiers_served", "Số hồ sơ được phục vụ"),
)
TOTAL_LABEL = "Tổng cộng"


def _vn(day: str) -> str:
    return date.fromisoformat(day).strftime("%d/%m/%Y")


def period_title(report: dict[str, Any]) -> str:
    start, end = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    span = f"từ ngày {_vn(report['from'])} đến ngày {_vn(report['to'])}"
    if start.day == 1 and start.year == end.year:
        quarter = (start.month - 1) // 3 + 1
        if start.month == 3 * quarter - 2 and end.month == 3 * quarter and _last_day(end):
            return f"Quý {quarter}/{start.year} ({span})"
        if start.month == end.month and _last_day(end):
            return f"Tháng {start.month}/{start.year} ({span})"
        if start.month == 1 and end.month == 12 and end.day == 31:
            return f"Năm {start.year} ({span})"
    return span[0].upper() + span[1:]


def _last_day(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per group, then the totals (with the reuse figures)."""
    rows = [
        {
            "key": g["key"],
            "name": g.get("name"),
            "settled": g["settled"],
            "digitized": g["digitized"],
            "digitization_rate": g["digitization_rate"],
            "target_rate": g.get("target_rate"),
            "signed": g["signed"],
            "waiting": g["waiting"],
        }
        for g in report["groups"]
    ]
    totals = report["totals"]
    rows.append(
        {
            "key": "total",
            "name": TOTAL_LABEL,
            **{name: totals.get(name) for name in CSV_COLUMNS[2:] if name != "target_rate"},
            "target_rate": None,
        }
    )
    return rows


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _rows(report):
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


def _align(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]


def to_table(report: dict[str, Any]) -> str:
    lines = [
        "CHỈ TIÊU SỐ HÓA VÀ TÁI SỬ DỤNG KẾT QUẢ GIẢI QUYẾT TTHC (Quyết định 468/QĐ-TTg)",
        f"Kỳ báo cáo: {period_title(report)}",
        "",
        f"I. Số hóa kết quả, theo {_GROUP_TITLES.get(report.get('group_by'), 'nhóm')}",
    ]
    table = [list(_SETTLEMENT_HEADINGS)]
    for i, row in enumerate(_rows(report), start=1):
        total = row["key"] == "total"
        table.append(
            [
                "" if total else str(i),
                "" if total else row["key"],
                row["name"] or "",
                str(row["settled"]),
                str(row["digitized"]),
                _percent(row["digitization_rate"]),
                _percent(row["target_rate"]),
                str(row["signed"]),
                str(row["waiting"]),
            ]
        )
    lines += _align(table)
    lines += ["", "II. Tái sử dụng kết quả đã số hóa"]
    totals = report["totals"]
    lines += _align(
        [
            [label, _percent(totals[key]) if key.endswith("rate") else str(totals[key])]
            for key, label in _REUSE_ROWS
        ]
    )
    lines += ["", "III. Số ngày từ khi giải quyết đến khi số hóa"]
    lines += _align([[_days_label(b), str(b["count"])] for b in totals["digitized_within_days"]])
    return "\n".join(lines) + "\n"


def _days_label(bucket: dict[str, Any]) -> str:
    low, high = bucket["from"], bucket["to"]
    if high is None:
        return f"từ {low} ngày trở lên"
    if low == high == 0:
        return "trong ngày (hoặc trước khi có thông báo)"
    return f"{low} ngày" if low == high else f"{low}–{high} ngày"


def to_xlsx(report: dict[str, Any]) -> bytes:
    """The quarterly report as an .xlsx workbook (openpyxl): sheet "Báo cáo" with the three
    parts, rates as numbers formatted as percentages."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Báo cáo"
    bold = Font(bold=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    width = len(_SETTLEMENT_HEADINGS)
    for row, text in enumerate(
        (
            "BÁO CÁO KẾT QUẢ SỐ HÓA VÀ TÁI SỬ DỤNG KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
            "(Theo Quyết định số 468/QĐ-TTg của Thủ tướng Chính phủ)",
            f"Kỳ báo cáo: {period_title(report)}",
        ),
        start=1,
    ):
        sheet.cell(row=row, column=1, value=text).font = Font(
            bold=row != 2, size=13 if row == 1 else 11
        )
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.cell(row=row, column=1).alignment = Alignment(horizontal="center")
    row = 5
    group = _GROUP_TITLES.get(report.get("group_by"), "nhóm")
    sheet.cell(
        row=row, column=1, value=f"I. SỐ HÓA KẾT QUẢ GIẢI QUYẾT TTHC (theo {group})"
    ).font = bold
    row += 1
    for col, heading in enumerate(_SETTLEMENT_HEADINGS, start=1):
        cell = sheet.cell(row=row, column=col, value=heading)
        cell.font, cell.border = bold, box
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for i, item in enumerate(_rows(report), start=1):
        row += 1
        total = item["key"] == "total"
        values = [
            None if total else i,
            None if total else item["key"],
            item["name"],
            item["settled"],
            item["digitized"],
            item["digitization_rate"],
            item["target_rate"],
            item["signed"],
            item["waiting"],
        ]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            cell.border = box
            if col in (6, 7):
                cell.number_format = "0.0%"
            if total:
                cell.font = bold
    row += 2
    sheet.cell(row=row, column=1, value="II. TÁI SỬ DỤNG KẾT QUẢ ĐÃ SỐ HÓA").font = bold
    totals = report["totals"]
    for key, label in _REUSE_ROWS:
        row += 1
        sheet.cell(row=row, column=2, value=label)
        cell = sheet.cell(row=row, column=6, value=totals[key])
        if key.endswith("rate"):
            cell.number_format = "0.0%"
    row += 2
    sheet.cell(row=row, column=1, value="III. SỐ NGÀY TỪ KHI GIẢI QUYẾT ĐẾN KHI SỐ HÓA").font = bold
    for bucket in totals["digitized_within_days"]:
        row += 1
        sheet.cell(row=row, column=2, value=_days_label(bucket))
        sheet.cell(row=row, column=6, value=bucket["count"])
    row += 2
    sheet.cell(
        row=row,
        column=1,
        value="Số liệu từ kho lưu trữ và nhật ký truy cập, đến sự kiện số "
        f"{report['through_seq']}.",
    ).font = Font(italic=True)
    for letter, size in zip("ABCDEFGHI", (6, 18, 34, 14, 14, 12, 10, 14, 12), strict=True):
        sheet.column_dimensions[letter].width = size
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
