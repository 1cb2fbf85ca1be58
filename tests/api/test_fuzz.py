"""Hostile input at the deposit door, fuzzed: the metadata parser with any JSON and any
text, and the PDF path with signed files cut short, flipped bytes and broken structure.
Whatever comes in, the answer is a refusal Kho names (a 4xx problem) or a record, soon;
never an exception Kho did not mean, never a 5xx, and the server answers the next request.

Bounded and derandomized so the run stays short; tests/api/test_hostile_pdfs.py holds the
hand-built hostile files (huge xref, nesting, thousands of pages, malformed signatures)."""

from __future__ import annotations

import json
import string
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kho.archive.metadata_json import load_metadata_json
from kho.archive.record import check_deposit, parse_metadata
from kho.errors import STATUS, KhoError
from kho.services import Access, Services

Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]
SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")
TODAY = date(2026, 6, 1)

VALID = {
    "issuer_code": "000.00.15.H62",
    "result_code": "000.00.15.H62-260102-0001-KQ1",
    "dossier_code": "000.00.15.H62-260102-0001",
    "procedure_code": "1.001193",
    "procedure_name": "Thủ tục đăng ký khai sinh",
    "result_type": "Giấy khai sinh",
    "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}],
    "issued_on": "2026-01-02",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)
# Valid metadata with fields replaced by any JSON value, removed, or added.
mutated = st.builds(
    lambda replace, remove, extra: {
        **{k: v for k, v in VALID.items() if k not in remove},
        **replace,
        **extra,
    },
    st.dictionaries(st.sampled_from(sorted(VALID)), json_values, max_size=3),
    st.sets(st.sampled_from(sorted(VALID)), max_size=2),
    st.dictionaries(st.text(max_size=20), json_values, max_size=2),
)
texts = (
    st.text(max_size=200)
    | st.text(alphabet='[]{}",:0123456789.eE-+ \\tnulrfas', max_size=300)
    | json_values.map(json.dumps)
    | mutated.map(lambda m: json.dumps(m, ensure_ascii=False))
)


def _refusal(exc: KhoError) -> None:
    status = STATUS.get(exc.problem_type, 500)
    assert 400 <= status < 500, (exc.problem_type, exc.detail)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(text=texts)
def test_the_metadata_parser_refuses_by_name_or_accepts(text: str) -> None:
    """Any text: ValueError (not JSON, a 400), a named 4xx refusal, or valid metadata."""
    try:
        raw = load_metadata_json(text)
    except ValueError:
        return
    try:
        meta = check_deposit(parse_metadata(raw), today=TODAY)
    except KhoError as exc:
        _refusal(exc)
        return
    assert meta.issuer_code and meta.subjects


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(meta=mutated)
def test_mutated_metadata_is_refused_field_by_field_or_accepted(meta: dict[str, Any]) -> None:
    try:
        check_deposit(parse_metadata(meta), today=TODAY)
    except KhoError as exc:
        _refusal(exc)
        errors = exc.extra.get("errors")
        assert errors is None or all("field" in e and "message" in e for e in errors)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=texts)
def test_fuzzed_metadata_over_http_is_a_4xx_problem(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, text: str
) -> None:
    response = client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("kq.pdf", signed_pdf(), "application/pdf")},
        data={"metadata": text},
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")


# -- the PDF path ---------------------------------------------------------------------------


def _cut(data: bytes, where: float) -> bytes:
    return data[: max(1, int(len(data) * where))]


def _flip(data: bytes, spots: list[tuple[float, int]]) -> bytes:
    out = bytearray(data)
    for where, value in spots:
        out[min(len(out) - 1, int(len(out) * where))] = value
    return bytes(out)


def _splice(data: bytes, where: float, junk: bytes) -> bytes:
    at = int(len(data) * where)
    return data[:at] + junk + data[at:]


fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
mutations = st.one_of(
    st.tuples(st.just("cut"), fractions),
    st.tuples(
        st.just("flip"),
        st.lists(st.tuples(fractions, st.integers(0, 255)), min_size=1, max_size=8),
    ),
    st.tuples(
        st.just("splice"),
        st.tuples(
            fractions,
            st.sampled_from(
                [b"<<", b">>", b"[" * 5000, b"endobj", b"trailer", b"stream\n", b"%%EOF",
                 b"0 0 obj", b"/Length 99999999", b"xref\n0 99999999\n"]
            ) | st.binary(max_size=64),
        ),
    ),
)  # fmt: skip


def _mutate(data: bytes, mutation: tuple[str, Any]) -> bytes:
    kind, how = mutation
    if kind == "cut":
        return _cut(data, how)
    if kind == "flip":
        return _flip(data, how)
    where, junk = how
    return _splice(data, where, junk)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutation=mutations)
def test_a_damaged_signed_pdf_is_refused_by_name_or_kept(
    services: Services, signed_pdf: Pdf, metadata: Meta, mutation: tuple[str, Any]
) -> None:
    pdf = _mutate(signed_pdf(), mutation)
    started = time.monotonic()
    try:
        outcome = services.deposit.deposit(pdf, "kq.pdf", metadata(), SYSTEM)
    except KhoError as exc:
        _refusal(exc)
    else:  # a flip the file survives: kept, with the verdict its signature deserves
        assert outcome.outcome in ("created", "existing")
        record = services.records.get(outcome.record["record_id"], SYSTEM)
        assert record["sha256"] == outcome.record["sha256"]
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("junk", ["", "%PDF-", "%PDF-1.7\n", string.printable * 100])
def test_a_file_that_is_hardly_a_pdf_is_a_422(
    client: TestClient, headers: dict[str, str], metadata: Meta, junk: str
) -> None:
    response = client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("kq.pdf", junk.encode(), "application/pdf")},
        data={"metadata": json.dumps(metadata())},
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
