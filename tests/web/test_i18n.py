"""The web UI's text: every string of the templates and the Python in the English catalog
(scripts/i18n --check), all of it NFC, dates as dd/mm/yyyy."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kho.web.i18n import LOCALE_DIR, catalog, format_date, format_datetime, translate

ROOT = Path(__file__).resolve().parents[2]


def test_the_english_catalog_has_every_string() -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "i18n"), "--check"],
        capture_output=True,
        text=True,
        env={"KHO_VENV": str(Path(sys.executable).parent.parent), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(catalog("en")) >= 50
    assert translate("en", "Đăng nhập") == "Sign in"
    assert translate("vi", "Đăng nhập") == "Đăng nhập"
    assert translate("en", "một chuỗi chưa dịch") == "một chuỗi chưa dịch"


def test_the_text_is_nfc() -> None:
    files = [*(ROOT / "web" / "templates").rglob("*.html"), *LOCALE_DIR.rglob("*.po")]
    files += list((ROOT / "web").glob("*.py"))
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert unicodedata.normalize("NFC", text) == text, path


def test_dates_read_day_month_year() -> None:
    assert format_date(date(2026, 3, 7)) == "07/03/2026"
    assert format_date("2026-12-31") == "31/12/2026"
    assert format_date(None) == ""
    when = datetime(2026, 3, 7, 20, 5, tzinfo=UTC)
    assert format_datetime(when, ZoneInfo("Asia/Ho_Chi_Minh")) == "08/03/2026 03:05"
