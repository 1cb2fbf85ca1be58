"""Fuzzing the signature parsing: signed PDFs with their CMS blob, byte range, signature
dictionary entries or length mutated. Whatever the bytes, the service-level validation
`kho verify` uses returns a verdict or raises the documented unreadable-input error, and
POST /api/v1/verify answers 200 or a 4xx problem, never a 500."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kho.archive.signatures import DocumentReport, TrustConfig
from kho.demo.pki import TestPKI
from kho.indexer.errors import UnreadableDocument
from kho.services.verify import check_pdf

CORPUS = Path(__file__).parent / "corpus"
SEEDS = (
    "pyhanko/pades-lta-dss-indirect-arrs-test.pdf",  # B-LTA with document timestamps
    "pyhanko/minimal-two-fields-signed-twice.pdf",  # two PKCS#7 signatures
    "pyhanko/pdf-sig-with-econtent.pdf",  # encapsulated content
    "dss/DSS-1683.pdf",  # a real-world PKCS#7 signature
)
_CONTENTS = re.compile(rb"/Contents\s*<([0-9A-Fa-f]+)>")
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[([\d\s]+)\]")
_ENTRIES = (b"/SubFilter", b"/Filter", b"/Type", b"/ByteRange", b"/Contents", b"/V", b"/FT")
_REPLACEMENTS = (b"/adbe.pkcs7.sha1", b"/ETSI.RFC3161", b"/DocTimeStamp", b"null", b"<>",
                 b"[0 0 0 0]", b"<< >>", b"-1", b"99999999999", b"(x)", b"/Sig")

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def seeds() -> list[bytes]:
    return [(CORPUS / name).read_bytes() for name in SEEDS]


def judged(data: bytes, trust: TrustConfig) -> DocumentReport | None:
    """The report, or None for the documented unreadable-input error; anything else
    raised fails the test."""
    try:
        report = check_pdf(data, trust)
    except UnreadableDocument:
        return None
    assert report.to_json()["signatures"] is not None  # and the report renders to JSON
    return report


def flip_cms(data: bytes, where: int, value: int) -> bytes:
    """Overwrite one hex digit of the first signature's CMS blob."""
    match = _CONTENTS.search(data)
    assert match is not None
    start, end = match.span(1)
    at = start + where % (end - start)
    return data[:at] + b"0123456789abcdef"[value % 16 : value % 16 + 1] + data[at + 1 :]


def shift_byte_range(data: bytes, index: int, delta: int) -> bytes:
    match = _BYTE_RANGE.search(data)
    assert match is not None
    numbers = [int(n) for n in match.group(1).split()]
    numbers[index % len(numbers)] = max(0, numbers[index % len(numbers)] + delta)
    text = " ".join(str(n) for n in numbers).encode()
    return data[: match.start(1)] + text + data[match.end(1) :]


def replace_entry(data: bytes, entry: int, replacement: int) -> bytes:
    """Put another value after one of the signature dictionary's keys."""
    key = _ENTRIES[entry % len(_ENTRIES)]
    at = data.rfind(key)
    if at < 0:
        return data
    value = at + len(key)
    end = value
    while end < len(data) and data[end : end + 1] not in (b"/", b">", b"\n", b"\r"):
        end += 1
    new = b" " + _REPLACEMENTS[replacement % len(_REPLACEMENTS)]
    return data[:value] + new + data[end:]


@FUZZ
@given(seed=st.integers(0, len(SEEDS) - 1), where=st.integers(0, 1 << 20), value=st.integers())
def test_mutated_cms_blob_gets_a_verdict(
    seeds: list[bytes], seed: int, where: int, value: int
) -> None:
    judged(flip_cms(seeds[seed], where, value), TrustConfig())


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    index=st.integers(0, 3),
    delta=st.integers(-5000, 5000),
)
def test_mutated_byte_range_gets_a_verdict(
    seeds: list[bytes], seed: int, index: int, delta: int
) -> None:
    report = judged(shift_byte_range(seeds[seed], index, delta), TrustConfig())
    if report is not None and delta != 0 and report.signed:
        # A byte range that no longer fits its /Contents never passes.
        assert report.indication is not None and report.indication.value != "TOTAL-PASSED"


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    entry=st.integers(0, len(_ENTRIES) - 1),
    replacement=st.integers(0, len(_REPLACEMENTS) - 1),
)
def test_mutated_dictionary_entries_get_a_verdict(
    seeds: list[bytes], seed: int, entry: int, replacement: int
) -> None:
    judged(replace_entry(seeds[seed], entry, replacement), TrustConfig())


@FUZZ
@given(seed=st.integers(0, len(SEEDS) - 1), keep=st.floats(0.0, 1.0), junk=st.binary(max_size=64))
def test_truncated_signed_pdfs_get_a_verdict(
    seeds: list[bytes], seed: int, keep: float, junk: bytes
) -> None:
    data = seeds[seed]
    judged(data[: int(len(data) * keep)] + junk, TrustConfig())


def test_post_verify_never_answers_500(
    seeds: list[bytes], client: TestClient, headers: dict[str, str], pki: TestPKI
) -> None:
    auth = {"Authorization": headers["Authorization"]}
    own = pki.sign_pdf(seeds[0])  # and one signed by the test PKI on top
    inputs = [own, flip_cms(own, 100, 7), shift_byte_range(own, 2, 17), own[:-10]]
    for seed in seeds:
        inputs += [
            flip_cms(seed, len(seed) // 3, 3),
            shift_byte_range(seed, 1, -1),
            replace_entry(seed, 0, 1),
            replace_entry(seed, 5, 3),
            seed[: len(seed) // 2],
            seed[:-7],
        ]
    for number, data in enumerate(inputs):
        response = client.post(
            "/api/v1/verify",
            headers=auth,
            files={"file": (f"{number}.pdf", data, "application/pdf")},
        )
        assert response.status_code in (200, 415, 422), (number, response.text[:300])
