"""`kho indicators` (table, JSON, CSV, XLSX) and `kho settlements import|backlog`, run as a
user runs them, on the seeded history's archive (tests/support/indicator_history.py)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from support.indicator_history import C, History, P, Y, seed
from verification.cases import KHO, archive_env, trust_env

from kho.demo.pki import TestPKI
from kho.services import Access
from kho.services.periods import Period
from kho.settings import Settings

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def history(
    settings: Settings, tmp_path: Path, signed_pdf: Callable[..., bytes]
) -> Iterator[History]:
    built = seed(settings, tmp_path, signed_pdf)
    try:
        yield built
    finally:
        built.services.close()


@pytest.fixture
def kho(history: History, stack: str, tmp_path: Path, pki: TestPKI) -> Run:
    env = {
        **trust_env(pki),
        **archive_env(history.settings, stack, tmp_path),
        "KHO_AGENCY_REGISTRY": str(history.settings.agency_registry),
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300
        )

    return run


def test_json_is_the_apis_body_and_csv_the_same_numbers(history: History, kho: Run) -> None:
    done = kho("indicators", "--period", f"{Y}-Q1", "--group-by", "level", "--format", "json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    expected = history.services.indicators.report(
        Period.preset(f"{Y}-Q1"), "level", Access.system()
    )
    strip = lambda b: {k: v for k, v in b.items() if k != "through_seq"}  # noqa: E731
    assert strip(body) == strip(expected)
    assert (body["totals"]["settled"], body["totals"]["digitized"]) == (6, 3)
    # `kho reindex` rebuilds the aggregate from the store and the trail: the same figures.
    rebuilt = kho("reindex", "--quiet")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["indicators_through_seq"] > 0
    again = kho("indicators", "--period", f"{Y}-Q1", "--group-by", "level", "--format", "json")
    assert strip(json.loads(again.stdout)) == strip(body)

    done = kho(
        "indicators",
        "--from",
        f"{Y}-01-01",
        "--to",
        f"{Y}-03-31",
        "--group-by",
        "level",
        "--format",
        "csv",
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    by_key = {row["key"]: row for row in rows}
    assert list(by_key) == ["central", "commune", "province", "total"]
    assert (by_key["province"]["settled"], by_key["province"]["digitized"]) == ("3", "2")
    assert float(by_key["province"]["digitization_rate"]) == pytest.approx(2 / 3)
    assert by_key["commune"]["target_rate"] == "1.0"
    total = by_key["total"]
    assert (total["settled"], total["digitized"], total["digitization_rate"]) == ("6", "3", "0.5")
    assert (total["lookups"], total["lookups_found"], total["downloads_by_other_agencies"]) == (
        "5",
        "3",
        "2",
    )


def test_xlsx_is_the_quarterly_report(kho: Run, tmp_path: Path) -> None:
    refused = kho("indicators", "--period", f"{Y}-Q1", "--format", "xlsx")
    assert refused.returncode == 64 and "--output" in refused.stderr
    out = tmp_path / "bao-cao.xlsx"
    done = kho(
        "indicators",
        "--period",
        f"{Y}-Q1",
        "--group-by",
        "issuer_code",
        "--format",
        "xlsx",
        "--output",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    sheet = load_workbook(out)["Báo cáo"]
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0].startswith("BÁO CÁO KẾT QUẢ SỐ HÓA")
    assert cells[2][0].startswith(f"Kỳ báo cáo: Quý 1/{Y} (từ ngày 01/01/{Y} đến ngày 31/03/{Y})")
    header = cells[5]
    assert header[:6] == (
        "STT",
        "Mã",
        "Tên",
        "Số kết quả đã giải quyết",
        "Đã số hóa, lưu trữ",
        "Tỷ lệ số hóa",
    )
    rows = {row[1]: row for row in cells[6:10]}
    assert rows[P][2:6] == ("Sở Tư pháp tỉnh Lai Châu", 3, 2, pytest.approx(2 / 3))
    assert rows[C][2:6] == ("UBND xã Tân Phong", 2, 0, 0)
    total = cells[9]
    assert total[2:6] == ("Tổng cộng", 6, 3, 0.5) and total[8] == 3
    assert sheet.cell(row=10, column=6).number_format == "0.0%"
    reuse = {row[1]: row[5] for row in cells[10:] if row[1]}
    assert reuse["Số lượt tra cứu kết quả đã số hóa"] == 5
    assert reuse["Số lượt tra cứu tìm thấy kết quả được tái sử dụng"] == 3
    assert reuse["Số lượt cơ quan khác tải kết quả (thay cho bản giấy)"] == 2
    assert reuse["Số cá nhân, tổ chức được phục vụ"] == 2
    assert reuse["trong ngày (hoặc trước khi có thông báo)"] == 2
    unwritable = kho(
        "indicators",
        "--period",
        f"{Y}",
        "--format",
        "csv",
        "--output",
        str(tmp_path / "missing" / "x.csv"),
    )
    assert unwritable.returncode == 73


def test_table_has_vietnamese_headings(kho: Run) -> None:
    done = kho("indicators", "--period", f"{Y}-02")
    assert done.returncode == 0, done.stderr
    assert f"Kỳ báo cáo: Tháng 2/{Y}" in done.stdout
    total = next(line for line in done.stdout.splitlines() if "Tổng cộng" in line)
    assert total.split()[2:5] == ["2", "1", "50.0%"]
    assert kho("indicators", "--period", f"{Y}-Q5").returncode == 64
    assert kho("indicators", "--from", f"{Y}-01-01").returncode == 64


def test_settlements_import_and_backlog(history: History, kho: Run, tmp_path: Path) -> None:
    # The command runs on the real clock: these were settled ten days ago.
    settled = date.today() - timedelta(days=10)
    stamp = f"{settled:%y%m%d}"
    rows: list[dict[str, Any]] = [
        {
            "dossier_code": f"{C}-{stamp}-0050",
            "result_code": f"{C}-{stamp}-0050-KQ1",
            "issuer_code": C,
            "procedure_code": "1.001193",
            "level": "commune",
            "settled_on": settled.isoformat(),
            "result_form": "paper",
        },
        {
            "dossier_code": f"{C}-{stamp}-0051",
            "result_code": f"{C}-{stamp}-0051-KQ1",
            "issuer_code": C,
            "procedure_code": "1.001193",
            "level": "district",
            "settled_on": settled.isoformat(),
            "result_form": "paper",
        },
    ]
    path = tmp_path / "notices.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = kho("settlements", "import", str(path))
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["outcome"] for line in lines] == ["created", "invalid"]
    assert lines[1]["problem"]["errors"][0]["field"] == "level"
    again = kho("settlements", "import", str(path))
    assert [json.loads(line)["outcome"] for line in again.stdout.splitlines()] == [
        "existing",
        "invalid",
    ]
    backlog = json.loads(kho("settlements", "backlog", "--issuer-code", C).stdout)
    # As of the real today, n5 (deposited next April) is still waiting too.
    assert [i["result_code"] for i in backlog["items"]] == [
        f"{C}-{stamp}-0050-KQ1",
        f"{C}-{Y % 100:02d}0101-0004-KQ1",
        f"{C}-{Y % 100:02d}0101-0005-KQ1",
    ]
    # The notice kept by the CLI counts in the server's figures (through the trail).
    that_day = history.services.indicators.report(
        Period(settled, settled), "level", Access.system()
    )
    assert [(g["key"], g["settled"]) for g in that_day["groups"]] == [("commune", 1)]
    bad = tmp_path / "bad.csv"
    bad.write_text("dossier_code,colour\nx,y\n", encoding="utf-8")
    assert kho("settlements", "import", str(bad)).returncode == 64
