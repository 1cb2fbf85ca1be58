"""The web UI in a real browser (Debian's Chromium through Playwright) against a real
`kho serve` on each stack: what a newcomer does at the counter, and what an auditor does.

Each test signs in afresh (a new browser context: no cookies carried over)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from support.browser import (
    DOSSIER,
    DUC,
    LOCKED_USER,
    XSS_SUBJECT,
    Server,
    set_dossier,
    sign_in,
)

GREEN = "rgb(23, 107, 44)"


def shot(page: Any, shots: Path, name: str, server: Server) -> None:
    if server.stack == "embedded":  # one set is enough; the pages are the same
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_login_needs_the_right_password_and_locks_after_five_failures(
    page: Any, server: Server, shots: Path
) -> None:
    page.goto("/search")
    assert "/login" in page.url  # no session: to the login page
    shot(page, shots, "login", server)
    for _ in range(5):
        sign_in(page, LOCKED_USER, "sai-mat-khau")
        assert "/login" in page.url
    assert page.locator("[role=alert], .error").first.is_visible()
    sign_in(page, LOCKED_USER)  # the right password, too late: locked
    assert "/login" in page.url
    assert "khóa" in page.content()
    page.goto("/search")
    assert "/login" in page.url


def test_an_officer_finds_a_citizen_and_sees_what_may_be_reused(
    page: Any, server: Server, shots: Path
) -> None:
    sign_in(page, "canbo")
    page.goto("/search")
    # The browser applies autofocus when it next renders, which may come after "load":
    # wait for it (Playwright's expectation retries up to its timeout) rather than race it.
    expect(page.locator("#q")).to_be_focused(timeout=10_000)
    shot(page, shots, "search", server)
    page.keyboard.type(DUC)
    page.keyboard.press("Enter")  # Enter searches; an ID opens the subject
    page.wait_for_url(re.compile(rf"/subjects/{DUC}"))
    # No dossier code yet: the page asks for it and shows nothing.
    assert page.locator("[data-record-id]").count() == 0
    assert "Cần mã hồ sơ đang xử lý" in page.content()
    set_dossier(page)
    assert page.url.endswith(f"/subjects/{DUC}")
    assert DOSSIER in page.locator(".current-dossier").inner_text()  # asked once, then shown
    items = page.locator("li[data-record-id]")
    flags = [items.nth(i).get_attribute("data-reusable") for i in range(items.count())]
    assert flags == sorted(flags, reverse=True) and "true" in flags and "false" in flags
    first_ok = page.locator("li[data-reusable=true] .verdict").first
    assert first_ok.inner_text().strip().endswith("Có thể sử dụng lại")
    assert first_ok.evaluate("e => getComputedStyle(e).color") == GREEN
    blocked = page.locator("li[data-reusable=false] .verdict").all_inner_texts()
    said = " ".join(blocked)
    for reason in (
        "đã hết hiệu lực",
        "đã bị thu hồi",
        "chưa xác định được chữ ký số có hợp lệ hay không",
    ):
        assert f"Không thể sử dụng lại vì {reason}" in said or reason in said, said
    assert all("Không thể sử dụng lại vì" in text for text in blocked)
    shot(page, shots, "subject", server)
    # The record page: metadata, signature panel, inline preview, download.
    page.locator("li[data-reusable=true] h2 a").first.click()
    page.wait_for_url(re.compile(r"/records/[0-9A-Z]{26}$"))
    record_id = page.url.rsplit("/", 1)[1]
    panel = page.locator(".signature-panel")
    assert "Hợp lệ" in panel.inner_text() and "TOTAL-PASSED" in panel.inner_text()
    assert re.search(r"\d\d/\d\d/\d{4}", page.locator("table.facts").inner_text())
    frame = page.locator("iframe.pdf")
    assert frame.get_attribute("src") == f"/records/{record_id}/preview"
    preview = page.request.get(f"/records/{record_id}/preview")
    assert preview.status == 200
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"].startswith("inline")
    shot(page, shots, "record", server)
    with page.expect_download() as info:
        page.locator("a[download]").click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes() == preview.body()
    # The citizen's access log says who (which agency) looked, for which dossier, when.
    page.goto(f"/subjects/{DUC}/access-log")
    log = page.locator("#access-log").inner_text()
    assert DOSSIER in log and "Xem kết quả" in log and "Tải / xem bản điện tử" in log
    assert "canbo" not in log
    shot(page, shots, "access-log", server)


def test_full_text_with_facets_highlights_and_pages(page: Any, server: Server, shots: Path) -> None:
    sign_in(page, "canbo")
    page.goto(f"/search?dossier_code={DOSSIER}")
    page.fill("#q", "tran van duc")  # no diacritics
    page.press("#q", "Enter")
    page.wait_for_load_state()
    results = page.locator("li[data-record-id]")
    assert results.count() >= 4
    assert page.locator("li[data-record-id] mark").count() >= 1
    shot(page, shots, "search-results", server)
    total = results.count()
    facet = page.locator("nav.facets a", has_text="Đã thu hồi").first
    facet.click()
    page.wait_for_load_state()
    assert "status=revoked" in page.url
    assert 1 <= page.locator("li[data-record-id]").count() < total
    assert page.locator("nav.facets a[aria-current=true]").count() == 1
    page.goto(f"/search?q=tran+van+duc&page_size=2&dossier_code={DOSSIER}")
    first = page.locator("li[data-record-id]").evaluate_all(
        "els => els.map(e => e.dataset.recordId)"
    )
    assert len(first) == 2
    page.locator("nav.pager a", has_text="2").first.click()
    page.wait_for_load_state()
    second = page.locator("li[data-record-id]").evaluate_all(
        "els => els.map(e => e.dataset.recordId)"
    )
    assert second and not set(first) & set(second)


def test_a_script_in_deposited_metadata_is_inert(page: Any, server: Server) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, "canbo")
    page.goto(f"/subjects/{XSS_SUBJECT}?dossier_code={DOSSIER}")
    item = page.locator("li[data-record-id]")
    assert item.count() == 1
    assert "<script>" in item.inner_text()  # shown as text
    page.locator("li[data-record-id] h2 a").click()
    page.wait_for_load_state()
    assert "<img src=x" in page.locator("table.facts").inner_text()
    page.goto(f"/search?q=%C4%91%E1%BA%ADm&dossier_code={DOSSIER}")
    assert page.locator("li[data-record-id] b").count() == 0
    for _ in range(2):
        assert page.evaluate("window.__xss") is None
    assert dialogs == []


def test_an_auditor_verifies_a_pdf_and_reads_the_trail(
    page: Any, server: Server, shots: Path, tmp_path: Path
) -> None:
    sign_in(page, "kiemtra")
    page.goto("/verify")
    page.set_input_files("#file", str(server.sample_pdf))
    page.locator("form.upload button[type=submit]").click()
    page.wait_for_load_state()
    verdict = page.locator("#verdict").inner_text()
    assert "TOTAL-PASSED" in verdict and "Hợp lệ" in verdict
    shot(page, shots, "verify", server)
    junk = tmp_path / "khong-phai-pdf.pdf"
    junk.write_bytes(b"day khong phai la PDF")
    page.goto("/verify")
    page.set_input_files("#file", str(junk))
    page.locator("form.upload button[type=submit]").click()
    page.wait_for_load_state()
    assert "Không đọc được tệp" in page.locator("[role=alert]").inner_text()
    page.goto("/audit")
    assert page.locator("#chain-status").get_attribute("data-chain-ok") == "true"
    page.fill("#f-user", "kiemtra")
    page.press("#f-user", "Enter")
    page.wait_for_load_state()
    rows = page.locator("#audit-events tbody tr")
    assert rows.count() >= 2
    assert all("kiemtra" in text for text in rows.all_inner_texts())
    shot(page, shots, "audit", server)


def test_english_is_one_click_away_and_remembered(page: Any, server: Server) -> None:
    sign_in(page, "canbo")
    page.goto("/search?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/search")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/search?lang=vi")
    assert page.locator("html").get_attribute("lang") == "vi"
