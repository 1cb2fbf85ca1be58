"""The disposal certificate: the minutes of a destruction (biên bản hủy tài liệu hết giá
trị, Circular 06/2025/TT-BNV), as JSON and as a printable HTML page, Vietnamese first.
Every value is escaped (html.escape); no template engine below the interfaces."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["certificate_html"]

_HEAD = """<!doctype html>
<html lang="vi">
<head><meta charset="utf-8">
<title>Biên bản hủy tài liệu hết giá trị — {batch_id}</title>
<style>
body {{ font-family: "Times New Roman", serif; margin: 2cm; color: #000; }}
.head {{ display: flex; justify-content: space-between; text-align: center; }}
h1 {{ text-align: center; font-size: 16pt; margin-top: 1.5em; }}
.en {{ color: #444; font-style: italic; font-size: 10pt; }}
table {{ border-collapse: collapse; width: 100%; font-size: 10pt; }}
th, td {{ border: 1px solid #000; padding: 3px 5px; vertical-align: top; }}
td.sha {{ font-family: monospace; font-size: 8pt; word-break: break-all; }}
.signs {{ display: flex; justify-content: space-around; margin-top: 3em; text-align: center; }}
@media print {{ .noprint {{ display: none; }} }}
</style></head>
<body>
<div class="head">
  <div><strong>KHO LƯU TRỮ KẾT QUẢ ĐIỆN TỬ</strong><br>Số lô: {batch_id}</div>
  <div><strong>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</strong><br>
       <strong>Độc lập - Tự do - Hạnh phúc</strong></div>
</div>
<h1>BIÊN BẢN HỦY TÀI LIỆU HẾT GIÁ TRỊ<br>
<span class="en">Certificate of destruction of records whose retention has ended</span></h1>
<p>Căn cứ Thông tư 06/2025/TT-BNV và danh mục tài liệu hết giá trị đã được đề xuất và phê
duyệt dưới đây, việc hủy được thực hiện như sau.
<span class="en">Under Circular 06/2025/TT-BNV and the list proposed and approved below.</span></p>
<ol>
<li>Lý do đề xuất / <span class="en">reason</span>: {reason}</li>
<li>Người đề xuất / <span class="en">proposed by</span>: {proposed_by},
    lúc {proposed_at}</li>
<li>Người phê duyệt / <span class="en">approved by</span>: {approved_by},
    lúc {approved_at}</li>
<li>Thời điểm hoàn thành hủy / <span class="en">executed at</span>: {executed_at}</li>
<li>Tổng số tài liệu / <span class="en">records</span>: {count};
    đã hủy / <span class="en">disposed of</span>: {disposed};
    không hủy / <span class="en">not disposed of</span>: {skipped}</li>
</ol>
<table>
<thead><tr><th>TT</th><th>Mã kết quả<br><span class="en">result code</span></th>
<th>Cơ quan ban hành<br><span class="en">issuer</span></th>
<th>Loại kết quả<br><span class="en">result type</span></th>
<th>Quy tắc / hạn bảo quản<br><span class="en">rule / kept until</span></th>
<th>Hình thức<br><span class="en">action</span></th>
<th>Kết quả<br><span class="en">outcome</span></th>
<th>SHA-256</th></tr></thead>
<tbody>
"""

_ROW = """<tr><td>{n}</td><td>{result_code}<br>
<small>{record_id}</small></td><td>{issuer_code}</td>
<td>{result_type}</td><td>{rule}<br>{retain_until}</td>
<td>{action}</td>
<td>{outcome}</td><td class="sha">{sha256}</td></tr>
"""

_TAIL = """</tbody></table>
<div class="signs">
  <div><strong>NGƯỜI ĐỀ XUẤT</strong><br><span class="en">Proposer</span><br><br><br>
  {proposed_by}</div>
  <div><strong>NGƯỜI PHÊ DUYỆT</strong><br><span class="en">Approver</span><br><br><br>
  {approved_by}</div>
</div>
<p class="noprint"><button onclick="window.print()">In biên bản / Print</button></p>
</body></html>
"""

_ACTIONS = {"destroy": "Hủy", "transfer": "Nộp lưu (chuyển lưu trữ lịch sử)", "review": "Xem xét"}
_OUTCOMES = {
    "disposed": "Đã hủy",
    "transferred": "Đã nộp lưu và xóa bản gốc",
    "held": "Không hủy: đang bị tạm giữ",
    "protected": "Không hủy: còn khóa lưu trữ",
    "missing": "Không có hồ sơ",
    "review": "Không hủy: cần xem xét",
}


def _vietnamese(value: Any, zone: ZoneInfo | None) -> Any:
    """Dates as dd/mm/yyyy and times as dd/mm/yyyy HH:MM in the archive's zone, as the
    minutes are read; anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        if len(value) == 10:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if zone is not None and moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.strftime("%d/%m/%Y %H:%M")


def certificate_html(certificate: dict[str, Any], zone: ZoneInfo | None = None) -> str:
    c = {
        k: escape(str(_vietnamese(v, zone) if v is not None else ""))
        for k, v in certificate.items()
        if k != "items"
    }
    rows = []
    for n, item in enumerate(certificate.get("items", []), 1):
        fields = {
            k: escape(str(_vietnamese(v, zone) if v is not None else "")) for k, v in item.items()
        }
        fields["action"] = escape(_ACTIONS.get(str(item.get("action")), str(item.get("action"))))
        fields["outcome"] = escape(
            _OUTCOMES.get(str(item.get("outcome")), str(item.get("outcome")))
        )
        rows.append(_ROW.format(n=n, **fields))
    return _HEAD.format(**c) + "".join(rows) + _TAIL.format(**c)
