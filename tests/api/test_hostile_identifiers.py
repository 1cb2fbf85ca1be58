"""Path traversal and injection in every identifier and query parameter of the API, on every
stack: a record id, subject id, key id or content-link token that is not one is a 4xx
problem+json (never a file outside the archive, never a 500); a hostile value in a query
parameter or in X-Dossier-Code is refused as a 4xx problem+json or answers with nothing of
the archive's that it should not match — never all of it, never a server error.

The parameters are read from the OpenAPI document, so a new one is covered the day it is
added."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE, deposit

from kho.api.openapi import SPEC_PATH

Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]

# What an attacker tries in an identifier: climbing out of the archive's folders (plain,
# percent-encoded once and twice, Windows-style), absolute paths, NUL and CR/LF (header and
# log injection), SQL, SQLite FTS5 and Elasticsearch query syntax, glob wildcards, markup,
# control characters, a very long value and look-alike Unicode.
HOSTILE = [
    "../../../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%252e%252e%252fetc",
    "..\\..\\windows\\win.ini",
    "/etc/passwd",
    "records/../../secret",
    "a\x00b",
    "x\r\nSet-Cookie: kho=1",
    "' OR '1'='1' --",
    '"; DROP TABLE records; --',
    "1 UNION SELECT * FROM keys",
    '" OR ""="',
    "*",
    "*:*",
    "NEAR(a b)",
    'subject_ids:* OR text:"x"',
    '{"match_all": {}}',
    "$(id)",
    "`id`",
    "<script>alert(1)</script>",
    "\u202e001203001234",
    "０１２３４５６７８９０１",  # full-width digits
    "x" * 5000,
]
IDS = [
    "traversal",
    "traversal-encoded",
    "traversal-encoded-dots",
    "traversal-double-encoded",
    "traversal-windows",
    "absolute",
    "traversal-inside",
    "nul",
    "crlf",
    "sql-or",
    "sql-drop",
    "sql-union",
    "sql-quotes",
    "star",
    "es-match-all",
    "fts5-near",
    "es-query-string",
    "es-dsl",
    "shell",
    "backticks",
    "markup",
    "rtl-override",
    "full-width",
    "long",
]

_SPEC = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
_GETS = {
    path: op for path, item in _SPEC["paths"].items() for method, op in item.items()
    if method == "get"
}  # fmt: skip
# Every GET operation with an identifier in its path, and every query parameter of a GET.
PATH_PARAMS = sorted(
    (path, p["name"])
    for path, op in _GETS.items()
    for p in op.get("parameters", [])
    if p["in"] == "path"
)
QUERY_PARAMS = sorted(
    (path, p["name"])
    for path, op in _GETS.items()
    if "{" not in path or path.endswith("/records") or path.endswith("/access-log")
    for p in op.get("parameters", [])
    if p["in"] == "query"
)
SUBJECT = "001203001234"


def _problem(response: Any, where: str) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), where
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code and body["type"].startswith("/problems/")
    return body


@pytest.fixture
def seeded(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> dict[str, str]:
    """One record in the archive: a hostile value that matched everything would show it."""
    record = deposit(client, headers, signed_pdf(), metadata())
    return {**headers, "record_id": record["record_id"]}


def _fill(path: str, name: str, value: str) -> str:
    """`path` with `name` set to `value` (percent-encoded as a client would, `/` included)
    and any other path parameter set to something well-formed."""
    ordinary = {"subject_id": SUBJECT, "record_id": "01JD3V7Y8K3N2W6Q4T9ZB5XK1M"}
    for other, filler in ordinary.items():
        if other != name:
            path = path.replace("{" + other + "}", filler)
    return path.replace("{" + name + "}", quote(value, safe=""))


def test_the_parameters_are_all_found() -> None:
    names = {name for _path, name in PATH_PARAMS}
    assert {"record_id", "subject_id", "key_id", "token"} <= names
    assert {"q", "subject_id", "issuer_code", "record_id", "dossier_code"} <= {
        name for _path, name in QUERY_PARAMS
    }


@pytest.mark.parametrize("value", HOSTILE, ids=IDS)
def test_a_hostile_identifier_in_a_path_is_a_4xx_problem(
    client: TestClient, seeded: dict[str, str], value: str
) -> None:
    auth = {"Authorization": seeded["Authorization"], "X-Dossier-Code": PURPOSE}
    for path, name in PATH_PARAMS:
        url = _fill(path, name, value)
        response = client.get(url, headers=auth)
        where = f"GET {url[:120]}"
        assert 400 <= response.status_code < 500, f"{where} → {response.status_code}"
        _problem(response, where)
        assert b"root:" not in response.content, where  # /etc/passwd never leaks


# Each of these goes to every query parameter (some forty): one of each kind, to keep the
# run short on Elasticsearch.
_FOR_QUERIES = {
    "traversal", "traversal-encoded", "nul", "crlf", "sql-or", "star", "es-query-string",
    "fts5-near", "markup", "long",
}  # fmt: skip
_QUERY_VALUES = [(v, i) for v, i in zip(HOSTILE, IDS, strict=True) if i in _FOR_QUERIES]


@pytest.mark.parametrize("value", [v for v, _ in _QUERY_VALUES], ids=[i for _, i in _QUERY_VALUES])
def test_a_hostile_query_parameter_is_refused_or_matches_nothing(
    client: TestClient, seeded: dict[str, str], value: str
) -> None:
    auth = {"Authorization": seeded["Authorization"], "X-Dossier-Code": PURPOSE}
    for path, name in QUERY_PARAMS:
        url = _fill(path, "subject_id", SUBJECT)
        response = client.get(url, params={name: value}, headers=auth)
        where = f"GET {url}?{name}={value[:40]!r}"
        assert response.status_code < 500, f"{where} → {response.status_code}: {response.text}"
        if response.status_code >= 400:
            _problem(response, where)
            continue
        assert response.status_code == 200, where
        # A free-text query may match words of the record's text ("1" is in "Số: 1/2026");
        # a hostile value anywhere else is one nothing is stored under.
        if name != "q" and path != "/api/v1/subjects/{subject_id}/access-log":
            assert seeded["record_id"] not in response.text, where


@pytest.mark.parametrize(
    "value",
    ["zzqx OR *", "zzqx OR *:*", 'zzqx" OR ""="', "zzqx' OR 'a'='a' --", "NEAR(zzqx ywvq)",
     "zzqx) OR (khai", "text:* OR zzqx", "zzqx AND NOT zzqy"],
)  # fmt: skip
def test_query_syntax_in_a_search_never_widens_it(
    client: TestClient, seeded: dict[str, str], value: str
) -> None:
    """Operators are words like any other: a query of a word found nowhere, joined to a
    match-all by query syntax, still matches nothing (an empty q lists everything a reader
    may see, and so does a q of punctuation alone: that is browsing, not injection)."""
    auth = {"Authorization": seeded["Authorization"], "X-Dossier-Code": PURPOSE}
    response = client.get("/api/v1/search", params={"q": value}, headers=auth)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.json()["total"] == 0, response.text
    else:
        _problem(response, value)


# NUL, CR and LF cannot be sent in a header at all (the HTTP client refuses them).
_HEADER_SAFE = [(v, i) for v, i in zip(HOSTILE, IDS, strict=True) if not set(v) & set("\x00\r\n")]


@pytest.mark.parametrize("value", [v for v, _ in _HEADER_SAFE], ids=[i for _, i in _HEADER_SAFE])
def test_a_hostile_dossier_code_is_a_4xx_problem(
    client: TestClient, seeded: dict[str, str], value: str
) -> None:
    """X-Dossier-Code, the purpose every read names: only a well-formed code is taken."""
    auth = {"Authorization": seeded["Authorization"], "X-Dossier-Code": value.encode()}
    for url in (
        f"/api/v1/subjects/{SUBJECT}/records",
        f"/api/v1/records/{seeded['record_id']}",
        "/api/v1/search?q=khai",
    ):
        response = client.get(url, headers=auth)  # type: ignore[arg-type]
        assert 400 <= response.status_code < 500, f"{url} → {response.status_code}"
        _problem(response, url)
        assert seeded["record_id"] not in response.text or url.startswith("/api/v1/records/")
