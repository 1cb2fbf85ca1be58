"""The Decision 468 indicators behind the sign-in: the period and grouping chosen on the page,
every number a link to the list it counts (the same total on both), the lists paginated;
and the web's own subject views and downloads counted like the API's.

The figures of the seeded history (tests/support/indicator_history.py) are written by hand
from its table: in Q1, 6 notices settled, 3 digitized by 31 March, 3 waiting; 5 lookups,
3 of them found a reusable result; 2 downloads by an agency other than the issuer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from support.indicator_history import D1, S1, C, History, P, Y, key_access, seed
from support.web import login, make_user, post_form

from kho.indexer.index import LookupQuery
from kho.server import create_app
from kho.settings import Settings


class Page(HTMLParser):
    """The links (href, text) and the rows' data attributes of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.rows: list[dict[str, str | None]] = []
        self._href: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []
        if tag == "tr" and any(k.startswith("data-") for k, _ in attrs):
            self.rows.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


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
def web(history: History) -> Iterator[TestClient]:
    services = history.services
    make_user(services, "kiemtra", "auditor", agency=None)
    make_user(services, "canbo", "officer", agency=C)
    with TestClient(create_app(services, outbox_worker=False)) as client:
        yield client


def row_link(html: str, attr: str, value: str, column: int = 0) -> tuple[str, str]:
    """The (href, text) of the `column`-th link in the row with `attr="value"`."""
    row = re.search(rf'<tr[^>]*{attr}="{re.escape(value)}"[^>]*>(.*?)</tr>', html, re.S)
    assert row, f"no row {attr}={value}"
    links = re.findall(r'<a href="([^"]+)">([^<]*)</a>', row.group(1))
    href, text = links[column]
    return unescape(href), text.strip()


def total_of(html: str) -> int:
    found = re.search(r'data-total="(\d+)"', html)
    assert found, html[:2000]
    return int(found.group(1))


def test_the_indicators_need_a_session(web: TestClient) -> None:
    for path in ("/indicators", "/indicators/settlements", "/indicators/events?kind=lookups"):
        response = web.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/login?next=/indicators"
        )


def test_every_number_links_to_the_list_it_counts(web: TestClient) -> None:
    assert login(web, "kiemtra").status_code == 303
    page = web.get(f"/indicators?period={Y}-Q1&group_by=issuer_code")
    assert page.status_code == 200, page.text
    html = page.text
    assert f"Quý 1/{Y}" in html and "Chỉ tiêu số hóa và tái sử dụng kết quả" in html
    assert "<script" not in html.split('<main id="main">')[1]
    # the choices on the page reflect what was asked
    assert f'<option value="{Y}-Q1" selected>' in html
    assert '<option value="issuer_code" selected>' in html

    expected = {
        ("data-key", "total", 0): ("/indicators/settlements", 6, {}),
        ("data-key", "total", 1): ("/indicators/settlements", 3, {"state": ["digitized"]}),
        ("data-key", "total", 2): ("/indicators/settlements", 3, {"state": ["waiting"]}),
        ("data-key", P, 0): ("/indicators/settlements", 3, {"issuer_code": [P]}),
        ("data-figure", "lookups", 0): ("/indicators/events", 5, {"kind": ["lookups"]}),
        ("data-figure", "lookups_found", 0): (
            "/indicators/events",
            3,
            {"kind": ["lookups_found"]},
        ),
        ("data-figure", "downloads_by_other_agencies", 0): (
            "/indicators/events",
            2,
            {"kind": ["downloads_by_other_agencies"]},
        ),
    }
    for (attr, value, column), (path, number, params) in expected.items():
        href, text = row_link(html, attr, value, column)
        assert text == str(number), (value, column, text)
        parts = urlsplit(href)
        query = parse_qs(parts.query)
        assert parts.path == path, href
        assert query["from"] == [f"{Y}-01-01"] and query["to"] == [f"{Y}-03-31"], href
        for name, wanted in params.items():
            assert query[name] == wanted, href
        listed = web.get(href)
        assert listed.status_code == 200, (href, listed.text[:500])
        assert total_of(listed.text) == number, href
        rows = Page(listed.text).rows
        assert len(rows) == number, href
    # The rows themselves: the waiting notices are not digitized, the digitized ones link
    # to their records; the events name the agency and dossier, never the subject.
    waiting = web.get(f"/indicators/settlements?from={Y}-01-01&to={Y}-03-31&state=waiting").text
    assert waiting.count('data-digitized="false"') == 3 and "/records/" not in waiting
    digitized = web.get(f"/indicators/settlements?from={Y}-01-01&to={Y}-03-31&state=digitized").text
    assert digitized.count('data-digitized="true"') == 3
    assert len(re.findall(r'href="/records/[0-9A-Z]{26}"', digitized)) == 3
    found = web.get(f"/indicators/events?kind=lookups_found&from={Y}-01-01&to={Y}-03-31").text
    assert found.count('data-action="lookup"') == 3 and D1 in found and C in found
    assert S1 not in found
    assert f"12/01/{Y}" in found  # dd/mm/yyyy in the archive's zone


def test_the_period_typed_as_dd_mm_yyyy_and_the_lists_paginated(
    web: TestClient, history: History
) -> None:
    services = history.services
    # The trail's clock only moves forward: these are on 5 April, after the seeded history.
    for _i in range(21):  # L5 + 21 = 22 lookups in April: two pages of 20
        services.lookup.lookup(
            LookupQuery(subject_id=S1, valid_on=services.backends.today()),
            key_access(services, P, D1),
        )
    assert login(web, "canbo").status_code == 303  # an officer sees the indicators too
    page = web.get(f"/indicators?from=1/4/{Y}&to=30/04/{Y}")
    assert page.status_code == 200
    assert f'value="01/04/{Y}"' in page.text and f'value="30/04/{Y}"' in page.text
    href, text = row_link(page.text, "data-figure", "lookups")
    assert text == "22"
    first = web.get(href)
    assert total_of(first.text) == 22 and len(Page(first.text).rows) == 20
    assert "Trang 1/2" in first.text
    following = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert following
    second = web.get(unescape(following.group(1)))
    assert second.status_code == 200 and "Trang 2/2" in second.text
    assert len(Page(second.text).rows) == 2
    seqs = {r["data-seq"] for r in Page(first.text).rows} | {
        r["data-seq"] for r in Page(second.text).rows
    }
    assert len(seqs) == 22  # no event twice, none missing


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (f"period={Y}-Q5", "Kỳ báo cáo không hợp lệ"),
        (f"from=31/02/{Y}&to=01/03/{Y}", "Ngày không hợp lệ"),
        (f"from=01/03/{Y}&to=01/01/{Y}", "phải trước hoặc bằng"),
        (f"from=01/03/{Y}", "Nhập cả"),
        (f"period={Y}&from=01/01/{Y}&to=02/01/{Y}", "không chọn cả hai"),
        ("group_by=tinh", "Cách nhóm không hợp lệ"),
    ],
)
def test_bad_choices_get_a_message_not_a_500(web: TestClient, query: str, message: str) -> None:
    assert login(web, "kiemtra").status_code == 303
    page = web.get(f"/indicators?{query}")
    assert page.status_code == 400 and message in page.text
    assert 'role="alert"' in page.text


def test_bad_list_parameters(web: TestClient) -> None:
    assert login(web, "kiemtra").status_code == 303
    assert web.get("/indicators/events?kind=views").status_code == 400
    assert web.get("/indicators/settlements?state=lost").status_code == 400
    bad_day = web.get("/indicators/settlements?from=hôm qua&to=31/03/2027")
    assert bad_day.status_code == 400 and "ngày/tháng/năm" in bad_day.text
    assert web.get("/indicators/events?kind=lookups&page=0").status_code == 422


def test_the_page_in_english(web: TestClient) -> None:
    assert login(web, "kiemtra").status_code == 303
    page = web.get(f"/indicators?period={Y}-Q1&lang=en")
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert f"Quarter 1/{Y}" in page.text and "Lookups" in page.text
    assert "Lượt tra cứu" not in page.text


def test_web_subject_views_and_downloads_count_like_the_api(
    web: TestClient, history: History
) -> None:
    """The officer pages (web/officer.py) read through the same audited services as the API:
    a subject page is a lookup, a download a content read (by another agency here: C reads
    P's result)."""
    april = f"/indicators?period={Y}-04"
    assert login(web, "canbo").status_code == 303
    before = web.get(april).text
    assert row_link(before, "data-figure", "lookups")[1] == "1"  # L5
    assert row_link(before, "data-figure", "downloads_by_other_agencies")[1] == "0"

    assert post_form(web, "/dossier", {"dossier_code": D1, "next": "/"}).status_code == 303
    subject = web.get(f"/subjects/{S1}")
    assert subject.status_code == 200 and history.records["n1"] in subject.text
    download = web.get(f"/records/{history.records['n1']}/download")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")

    after = web.get(april).text
    assert row_link(after, "data-figure", "lookups")[1] == "2"
    assert row_link(after, "data-figure", "lookups_found")[1] == "1"
    href, text = row_link(after, "data-figure", "downloads_by_other_agencies")
    assert text == "1"
    listed = web.get(href).text
    assert 'data-action="download"' in listed and C in listed and D1 in listed
    events = web.get(row_link(after, "data-figure", "lookups")[0]).text
    assert events.count('data-action="lookup"') == 2 and D1 in events
