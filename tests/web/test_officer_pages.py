"""The officer's pages through the app (TestClient, both stacks): the search box, a subject's
results reusable first with every blocker said in Vietnamese, a record with its signature
panel, inline preview and download, full text with facets, highlights and pages, the
dossier code asked for first, metadata that tries a script rendered inert, and every view
audited with the user, the agency and the dossier code."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import audit_events
from support.counter import DOSSIER, DUC, Counter, seed_counter
from support.web import csrf_of, login, make_user

from kho.services import Services
from kho.web.officer import safe_highlight

Pdf = Callable[..., bytes]
Meta = Callable[..., dict[str, Any]]


class Results(HTMLParser):
    """The results on a page, in order: (data-record-id, data-reusable, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[list[str]] = []
        self._depth = 0
        self.autofocus: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "autofocus" in found:
            self.autofocus.append(str(found.get("id")))
        if tag == "li" and "data-record-id" in found:
            self.items.append([str(found["data-record-id"]), str(found["data-reusable"]), ""])
            self._depth = 1
        elif self._depth and tag == "li":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == "li":
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.items[-1][2] += data


def parse(html: str) -> Results:
    parser = Results()
    parser.feed(html)
    return parser


@pytest.fixture
def counter(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> Counter:
    return seed_counter(client, headers, signed_pdf, metadata)


@pytest.fixture
def officer(client: TestClient, services: Services) -> TestClient:
    make_user(services, "canbo", "officer")
    assert login(client, "canbo").status_code == 303
    return client


def set_dossier(client: TestClient, code: str = DOSSIER) -> None:
    answer = client.post(
        "/dossier",
        data={"dossier_code": code, "csrf_token": csrf_of(client, "/search"), "next": "/search"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def test_the_search_box_has_focus_and_an_id_goes_to_the_subject(officer: TestClient) -> None:
    page = officer.get("/search")
    assert page.status_code == 200
    assert parse(page.text).autofocus == ["q"]
    assert '<label for="q">' in page.text
    answer = officer.get("/search", params={"q": f"  {DUC} "}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/subjects/{DUC}"
    enterprise = officer.get("/search", params={"q": "0101234565"}, follow_redirects=False)
    assert enterprise.headers["location"] == "/subjects/0101234565"


def test_without_a_dossier_code_the_subject_page_asks_and_shows_nothing(
    officer: TestClient, counter: Counter, services: Services
) -> None:
    page = officer.get(f"/subjects/{DUC}")
    assert page.status_code == 200
    assert "Cần mã hồ sơ đang xử lý" in page.text
    assert 'action="/dossier"' in page.text
    assert "data-record-id" not in page.text
    assert not any(
        e["action"] == "lookup" and e["actor"].get("user") == "canbo"
        for e in audit_events(services)
    )
    for path in (f"/records/{counter.reusable[0]}", "/search?q=khai+sinh"):
        assert "data-record-id" not in officer.get(path).text
    assert officer.get(f"/records/{counter.reusable[0]}/download").status_code == 400


def test_the_subject_page_lists_reusable_results_first_and_says_why_not(
    officer: TestClient, counter: Counter, services: Services
) -> None:
    set_dossier(officer)
    page = officer.get(f"/subjects/{DUC}")
    assert page.status_code == 200
    items = parse(page.text).items
    flags = [reusable for _id, reusable, _text in items]
    assert flags == ["true", "true", "false", "false", "false"]
    assert {i[0] for i in items[:2]} == set(counter.reusable)
    said = {record_id: " ".join(text.split()) for record_id, _r, text in items}
    for record_id in counter.reusable:
        assert "Có thể sử dụng lại" in said[record_id]
    assert (
        "Không thể sử dụng lại vì chưa xác định được chữ ký số có hợp lệ hay không"
        in (said[counter.indeterminate])
    )
    assert "Không thể sử dụng lại vì đã hết hiệu lực" in said[counter.expired]
    assert "Không thể sử dụng lại vì đã bị thu hồi" in said[counter.revoked]
    assert DOSSIER in page.text  # the header shows the dossier being processed
    lookups = [e for e in audit_events(services, action="lookup") if e["actor"].get("user")]
    assert lookups[-1]["actor"] == {"user": "canbo", "agency": "000.00.15.H62"}
    assert lookups[-1]["purpose"] == DOSSIER
    assert lookups[-1]["subject_ids"] == [DUC]


def test_a_dossier_code_in_the_query_serves_one_view(officer: TestClient, counter: Counter) -> None:
    page = officer.get(f"/subjects/{DUC}", params={"dossier_code": DOSSIER})
    assert len(parse(page.text).items) == 5
    bad = officer.get(f"/subjects/{DUC}", params={"dossier_code": "x"})
    assert "data-record-id" not in bad.text
    assert "Cần mã hồ sơ đang xử lý" in bad.text


def test_the_record_page_preview_and_download(
    officer: TestClient, counter: Counter, services: Services
) -> None:
    set_dossier(officer)
    record_id = counter.reusable[0]
    page = officer.get(f"/records/{record_id}")
    assert page.status_code == 200
    assert f'<iframe src="/records/{record_id}/preview"' in page.text
    assert f'href="/records/{record_id}/download"' in page.text
    assert "Hợp lệ" in page.text and "TOTAL-PASSED" in page.text
    assert "Người ký" in page.text and "Thời điểm ký" in page.text
    assert re.search(r"\d\d/\d\d/\d{4}", page.text)  # dates dd/mm/yyyy
    preview = officer.get(f"/records/{record_id}/preview")
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "application/pdf"
    assert preview.headers["content-disposition"].startswith("inline;")
    assert preview.content.startswith(b"%PDF")
    download = officer.get(f"/records/{record_id}/download")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.content == preview.content
    reads = [
        e
        for e in audit_events(services)
        if e["actor"].get("user") == "canbo" and record_id in e["record_ids"]
    ]
    assert [e["action"] for e in reads] == ["read", "download", "download"]
    assert all(e["purpose"] == DOSSIER and e["actor"]["agency"] == "000.00.15.H62" for e in reads)
    indeterminate = officer.get(f"/records/{counter.indeterminate}")
    assert "Chưa xác định được" in indeterminate.text
    assert "Không thể sử dụng lại vì" in indeterminate.text


def test_unknown_and_malformed_records_are_pages_not_500(officer: TestClient) -> None:
    set_dossier(officer)
    for path in (
        "/records/01JD3V7Y8K3N2W6Q4T9ZB5XK1M",
        "/records/abc%3Cscript%3E",
        "/records/nope/download",
        "/subjects/12345",
    ):
        answer = officer.get(path)
        assert answer.status_code in (404, 422), (path, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), path


def test_full_text_with_facets_highlights_and_pages(
    officer: TestClient, counter: Counter, services: Services
) -> None:
    set_dossier(officer)
    page = officer.get("/search", params={"q": "tran van duc"})  # no diacritics
    assert page.status_code == 200
    found = parse(page.text).items
    assert len(found) >= 5
    assert "<mark>" in page.text
    # Facets are links that filter.
    links = re.findall(r'<a href="(/search\?[^"]*result_type=[^"]*)"', page.text)
    assert links
    assert 'href="/search?q=tran+van+duc&amp;status=revoked"' in page.text
    revoked = officer.get("/search", params={"q": "tran van duc", "status": "revoked"})
    assert [i[0] for i in parse(revoked.text).items] == [counter.revoked]
    assert 'aria-current="true"' in revoked.text
    # Pages.
    first = officer.get("/search", params={"q": "tran van duc", "page_size": 2})
    assert len(parse(first.text).items) == 2
    assert 'aria-current="page">1<' in first.text
    second = officer.get("/search", params={"q": "tran van duc", "page_size": 2, "page": 2})
    assert {i[0] for i in parse(second.text).items}.isdisjoint(
        {i[0] for i in parse(first.text).items}
    )
    searches = [e for e in audit_events(services, action="search") if e["actor"].get("user")]
    assert searches and all(e["purpose"] == DOSSIER for e in searches)


def test_metadata_trying_a_script_is_inert(officer: TestClient, counter: Counter) -> None:
    set_dossier(officer)
    pages = [
        officer.get("/subjects/079188001122").text,
        officer.get(f"/records/{counter.xss}").text,
        officer.get("/search", params={"q": "đậm"}).text,
    ]
    for text in pages:
        assert "window.__xss" in text  # it is shown...
        assert "<script>window.__xss" not in text  # ...as text
        assert "<img src=x" not in text and "<b onclick" not in text
        assert "&lt;script&gt;" in text


def test_highlights_keep_only_marks() -> None:
    fragment = "a &lt;b&gt; <mark>Đức</mark> <script>x</script> &amp;"
    shown = str(safe_highlight(fragment))
    assert shown == "a &lt;b&gt; <mark>Đức</mark> &lt;script&gt;x&lt;/script&gt; &amp;"


def test_the_pages_need_a_session_and_a_role(client: TestClient, services: Services) -> None:
    answer = client.get(f"/subjects/{DUC}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")
    make_user(services, "luutru", "records_manager")
    assert login(client, "luutru").status_code == 303
    assert client.get("/search").status_code == 403


def test_a_search_that_stopped_counting_says_at_least(
    officer: TestClient, counter: Counter, services: Services
) -> None:
    set_dossier(officer)
    exact = officer.get("/search", params={"q": "tran van duc"})
    assert re.search(r"Số kết quả tìm thấy: \d+<", exact.text)
    services.backends.index.count_bound = 2  # as a search over more than 10,000 matches
    page = officer.get("/search", params={"q": "tran van duc"})
    assert "Số kết quả tìm thấy: ít nhất 2<" in page.text
    english = officer.get("/search", params={"q": "tran van duc", "lang": "en"})
    assert "at least 2<" in english.text
