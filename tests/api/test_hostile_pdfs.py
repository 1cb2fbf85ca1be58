"""Hand-built hostile PDFs at the deposit door and at /verify, on every stack: deep nesting,
a huge or looping cross-reference table, a page tree that loops or lies about its size,
thousands of pages, malformed signature dictionaries. Each gets a quick answer — a 4xx
problem+json, or for /verify a report — never a 5xx, and the next request is answered.
(Decompression bombs: test_bombs.py and tests/cli/test_serve_under_bombs.py.)"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE
from support.bombs import bomb_pdf

from kho.demo.pki import TestPKI
from kho.services import Services

Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]
QUICK_S = 15.0
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"


def raw_pdf(objects: list[bytes], *, xref: bytes | None = None, trailer: bytes = b"") -> bytes:
    """A PDF of `objects` (numbered from 1), with its own xref table unless one is given."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref is None:
        xref = b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(
            b"%010d 00000 n \n" % offset for offset in offsets
        )
    out += xref
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        start,
    )
    return bytes(out)


def _catalog(extra: bytes = b"") -> bytes:
    return b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>"


HOSTILE: dict[str, Callable[[], bytes]] = {
    "nested-arrays": lambda: raw_pdf(
        [_catalog(b"/X " + b"[" * 100_000 + b"]" * 100_000),
         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE]
    ),
    "nested-dicts": lambda: raw_pdf(
        [_catalog(b"/X " + b"<< /A " * 50_000 + b"1" + b" >>" * 50_000),
         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE]
    ),
    "unclosed-nesting": lambda: raw_pdf(
        [_catalog(b"/X " + b"[<<" * 100_000), b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE]
    ),
    "huge-xref-declared": lambda: raw_pdf(
        [_catalog(), b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE],
        xref=b"xref\n0 2000000000\n0000000000 65535 f \n",
    ),
    "huge-xref-real": lambda: raw_pdf(
        [_catalog(), b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE],
        xref=b"xref\n0 200000\n" + b"0000000000 65535 f \n" * 200_000,
    ),
    "xref-prev-loop": lambda: raw_pdf(
        [_catalog(), b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE],
        trailer=b"/Prev 15 ",
    ),
    "xref-stream-huge-size": lambda: raw_pdf(
        [_catalog(), b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE,
         b"<< /Type /XRef /Size 2000000000 /W [1 8 8] /Index [0 2000000000] /Length 4 >>"
         b"\nstream\n\x01\x00\x00\x00\nendstream"],
        trailer=b"/XRefStm 300 ",
    ),
    "page-tree-loop": lambda: raw_pdf(
        [_catalog(), b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", PAGE]
    ),
    "page-count-lie": lambda: raw_pdf(
        [_catalog(), b"<< /Type /Pages /Kids [3 0 R] /Count 2000000000 >>", PAGE]
    ),
    "no-xref-garbage": lambda: b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog " * 20_000,
    "signature-field-not-a-dict": lambda: raw_pdf(
        [_catalog(b"/AcroForm << /Fields [4 0 R] /SigFlags 3 >>"),
         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE,
         b"<< /FT /Sig /T (Sig1) /V 99 /Subtype /Widget /Rect [0 0 0 0] >>"]
    ),
    "signature-garbage-contents": lambda: raw_pdf(
        [_catalog(b"/AcroForm << /Fields [4 0 R] /SigFlags 3 >>"),
         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE,
         b"<< /FT /Sig /T (Sig1) /V 5 0 R /Subtype /Widget /Rect [0 0 0 0] >>",
         b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
         b"/ByteRange [0 -5 99999999999 7] /Contents <" + b"3082" * 2000 + b"> >>"]
    ),
}  # fmt: skip


def _deposit(client: TestClient, headers: dict[str, str], pdf: bytes, meta: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("kq.pdf", pdf, "application/pdf")},
        data={"metadata": json.dumps(meta, ensure_ascii=False)},
    )


def _still_answers(client: TestClient, headers: dict[str, str]) -> None:
    lookup = client.get(
        "/api/v1/subjects/001203001234/records",
        headers={"Authorization": headers["Authorization"], "X-Dossier-Code": PURPOSE},
    )
    assert lookup.status_code == 200, lookup.text


def _quick_4xx(response: Any, started: float, what: str) -> dict[str, Any]:
    elapsed = time.monotonic() - started
    assert 400 <= response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json"), what
    assert elapsed < QUICK_S, (what, elapsed)
    body: dict[str, Any] = response.json()
    return body


def _refused_or_failed(response: Any, started: float, what: str) -> None:
    """Refused (4xx), or kept with the verdict a broken signature deserves: never passed,
    never reusable."""
    if response.status_code == 201:
        body = response.json()
        assert body["signature"]["indication"] != "TOTAL-PASSED", response.text
        assert body["reusable"] is False, response.text
        assert time.monotonic() - started < QUICK_S, what
    else:
        _quick_4xx(response, started, what)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_pdf_is_refused_quickly_at_deposit_and_verify(
    client: TestClient, headers: dict[str, str], metadata: Meta, name: str
) -> None:
    pdf = HOSTILE[name]()
    started = time.monotonic()
    response = _deposit(client, headers, pdf, metadata())
    if name.startswith("signature-"):  # a signature field to judge, however broken
        _refused_or_failed(response, started, name)
    else:
        _quick_4xx(response, started, f"deposit {name}")
    started = time.monotonic()
    verified = client.post(
        "/api/v1/verify",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("kq.pdf", pdf, "application/pdf")},
    )
    assert verified.status_code < 500, verified.text
    assert time.monotonic() - started < QUICK_S
    if verified.status_code >= 400:
        _quick_4xx(verified, started, f"verify {name}")
    _still_answers(client, headers)


def test_thousands_of_pages_are_refused_by_the_page_limit(
    client: TestClient, headers: dict[str, str], metadata: Meta, pki: TestPKI, services: Services
) -> None:
    limit = services.settings.max_pages
    pdf = pki.sign_pdf(bomb_pdf(0.0005, pages=limit + 500))
    started = time.monotonic()
    problem = _quick_4xx(_deposit(client, headers, pdf, metadata()), started, "pages")
    assert problem["status"] == 422 and str(limit) in problem["detail"], problem
    for prefix in ("originals/", "records/", "claims/"):
        assert list(services.backends.store.list(prefix)) == [], prefix
    _still_answers(client, headers)


def _malformed(signed: bytes, kind: str) -> bytes:
    """A signed PDF whose signature dictionary is broken in place (same length)."""
    if kind == "byte-range":
        match = re.search(rb"/ByteRange\s*\[([^\]]*)\]", signed)
        assert match is not None
        inner = match.group(1)
        bad = b"0 -1 9999999999 0"[: len(inner)].ljust(len(inner))
        return signed[: match.start(1)] + bad + signed[match.end(1) :]
    match = re.search(rb"/Contents\s*<([0-9A-Fa-f]+)>", signed)
    assert match is not None
    size = len(match.group(1))
    filler = {"contents-zero": b"0" * size, "contents-not-hex": b"Zz" * (size // 2)}[kind]
    filler += b"0" * (size - len(filler))
    return signed[: match.start(1)] + filler + signed[match.end(1) :]


@pytest.mark.parametrize("kind", ["byte-range", "contents-zero", "contents-not-hex"])
def test_a_malformed_signature_is_refused_or_kept_as_failed(
    client: TestClient, headers: dict[str, str], metadata: Meta, signed_pdf: Pdf, kind: str
) -> None:
    pdf = _malformed(signed_pdf("GIẤY KHAI SINH", ("Số", f"sig-{kind}")), kind)
    started = time.monotonic()
    _refused_or_failed(_deposit(client, headers, pdf, metadata()), started, kind)
    _still_answers(client, headers)
