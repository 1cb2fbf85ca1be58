"""The indicators page renders from the service's result: charts as inline SVG (no script),
every number a link to what is behind it, agencies' names escaped."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from support.indicator_history import C, History, Y, seed

from kho.services import Access
from kho.services.periods import Period
from kho.settings import Settings
from kho.web.indicators import backlog_panel, indicators_panel, render_indicators_page


class Links(HTMLParser):
    """(href, text) of every <a>, and the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.tags: set[str] = set()
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

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


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def test_the_page_of_the_seeded_quarter(history: History) -> None:
    report = history.services.indicators.report(
        Period.preset(f"{Y}-Q1"), "issuer_code", Access.system()
    )
    html = render_indicators_page(report)
    assert html.startswith("<!doctype html>") and '<html lang="vi">' in html
    page = parse(html)
    assert "script" not in page.tags and "svg" in page.tags
    links = dict((text, href) for href, text in page.links if text.isdigit())
    # The totals row: 6 settled, 3 digitized, 3 waiting, each linking to its notices.
    settled = [href for href, text in page.links if text == "6"]
    assert settled and all("/api/v1/settlements?" in h for h in settled)
    assert any("state=digitized" in href for href, text in page.links if text == "3")
    assert any("action=lookup" in href for href, text in page.links if text == "5")
    assert any(
        "figure=downloads_by_other_agencies" in href for href, text in page.links if text == "2"
    )
    assert links  # numbers are links
    # The rate chart: one bar per agency, linking to that agency's digitized notices,
    # with its target drawn.
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert f"issuer_code={C}" in svg and svg.count('class="bar"') == 3
    assert svg.count('class="target"') == 2  # C has no level in the registry: no target
    assert "UBND xã Tân Phong: 0.0%" in svg
    assert "Quý 1/" in html
    backlog = history.services.indicators.backlog(C, Access.system())
    table = str(backlog_panel({"items": backlog.items, "total": backlog.total}, issuer=C))
    assert f'data-result-code="{C}-{Y % 100:02d}0101-0004-KQ1"' in table
    assert "UBND xã Tân Phong" in table and ">Giấy<" in table


def test_escaping_and_links_mapped_by_the_ui() -> None:
    report: dict[str, Any] = {
        "from": "2026-07-01",
        "to": "2026-09-30",
        "group_by": "issuer_code",
        "totals": {
            "settled": 1,
            "digitized": 0,
            "digitization_rate": 0.0,
            "signed": 0,
            "waiting": 1,
            "digitized_within_days": [{"days": "0", "from": 0, "to": 0, "count": 0}],
            "lookups": 0,
            "lookups_found": 0,
            "downloads_by_other_agencies": 0,
            "lookups_found_rate": None,
            "subjects_served": 0,
            "dossiers_served": 0,
        },
        "groups": [
            {
                "key": "X1",
                "name": "<script>alert(1)</script>",
                "settled": 1,
                "digitized": 0,
                "digitization_rate": 0.0,
                "signed": 0,
                "waiting": 1,
                "target_rate": None,
                "digitized_within_days": [],
                "links": {
                    "settled": "/api/v1/settlements?a=1&b=2",
                    "digitized": "/d",
                    "waiting": "/w",
                },
            }
        ],
        "targets": {"year": 2026, "digitization_rate": {}},
        "links": {
            "settled": "/s",
            "digitized": "/d",
            "waiting": "/w",
            "lookups": "/l",
            "lookups_found": "/f",
            "downloads_by_other_agencies": "/o",
        },
        "through_seq": 7,
    }
    html = str(indicators_panel(report, link=lambda href: "/ui" + href))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="/ui/api/v1/settlements?a=1&amp;b=2"' in html
    assert re.search(r'<a href="/ui/w">1</a>', html)
    assert "Quý 3/2026" in html
