"""Small things a newcomer noticed: times in KHO_TIMEZONE everywhere (the access log, the
log lines), and the front page's words from the glossary."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from support.api import PURPOSE, deposit
from support.web import login, make_user

from kho.logs import JsonFormatter, TextFormatter
from kho.services import Services

DUC = "001203001234"


def test_access_log_times_have_the_offset_of_kho_timezone(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
) -> None:
    deposit(client, headers, signed_pdf(), metadata())
    assert client.get(f"/api/v1/subjects/{DUC}/records", headers=headers).status_code == 200
    portal = {
        "Authorization": "Bearer " + make_key("subjects:access-log"),
        "X-Dossier-Code": PURPOSE,
    }
    items = client.get(f"/api/v1/subjects/{DUC}/access-log", headers=portal).json()["items"]
    assert items
    for item in items:
        at = datetime.fromisoformat(item["at"])
        assert at.utcoffset() == timedelta(hours=7), item["at"]


def test_log_lines_carry_the_offset_of_the_zone() -> None:
    record = logging.LogRecord("kho", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id = "-"
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    assert TextFormatter(zone).format(record).split(" ", 1)[0].endswith("+07:00")
    assert '"at": "' in (line := JsonFormatter(zone).format(record))
    assert datetime.fromisoformat(line.split('"at": "')[1].split('"')[0]).utcoffset() == timedelta(
        hours=7
    )


def test_the_front_page_counts_results_not_dossiers(
    client: TestClient, services: Services
) -> None:
    make_user(services, "canbo", "officer")
    assert login(client).status_code == 303
    page = client.get("/").text
    assert "Số kết quả đã lập chỉ mục" in page
    assert "Số hồ sơ" not in page
