"""Digitizing through the service, with real OCR, signing and deposit, on every stack: what
comes back from the scans, the signed PDF/A copy, identity by scans, reuse and search."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from PIL import Image
from support.scans import BIRTH, BIRTH_META, ENTERPRISE, encode, numbered, scan

from kho.digitization.errors import DuplicateScans, NeedsReview, ScanRejected
from kho.digitization.pdfa import PdfaChecker
from kho.indexer.index import LookupQuery, SearchQuery
from kho.services import Access, Services
from kho.services.errors import Conflict, UnsignedDocument
from kho.settings import Settings

pytestmark = pytest.mark.slow
SYSTEM = Access.system("000.00.15.H62-261123-0001")
ID = "012318004567"


def _content(services: Services, record_id: str) -> bytes:
    return b"".join(services.records.content(record_id, SYSTEM).chunks)


def test_a_scanned_result_becomes_a_signed_searchable_reusable_record(
    dservices: Services, signing_settings: Settings
) -> None:
    data = scan(BIRTH, dpi=250, rotate=1.8, blur=0.7, noise=0.03)
    done = dservices.digitize.digitize([("khai-sinh.png", data)], dict(BIRTH_META), SYSTEM)
    assert done.outcome == "created"
    record = done.record
    assert record["origin"] == "digitized"
    facts = record["digitization"]
    assert facts["scan_sha256"] == [hashlib.sha256(data).hexdigest()]
    assert facts["pages"] == 1 and record["pages"] == 1
    assert 0.8 <= facts["ocr_confidence"] <= 1.0
    assert facts["signed_by"] == "UBND xã Tân Phong"
    assert record["signature"]["indication"] == "TOTAL-PASSED"
    assert record["signature"]["signer"]
    # the scan itself is kept in the package, byte for byte
    kept = b"".join(dservices.backends.packages.stream_original(facts["scan_sha256"][0]))
    assert kept == data
    # the copy is PDF/A-2b after signing, by the same validator the deposit used
    checker = PdfaChecker.from_settings(signing_settings)
    signed = _content(dservices, record["record_id"])
    assert facts["pdfa_validator"] == checker.validator
    assert checker.check(signed).conforms
    assert dservices.verify.validate(signed).indication == "TOTAL-PASSED"

    found = dservices.lookup.lookup(
        LookupQuery(subject_id=ID, valid_on=dservices.backends.today()), SYSTEM
    )
    assert [i["record_id"] for i in found.items] == [record["record_id"]]
    assert found.items[0]["origin"] == "digitized"
    hits = dservices.search.search(
        SearchQuery(today=dservices.backends.today(), q="nguyen thi hong nhung"), SYSTEM
    )
    assert record["record_id"] in [i["record"]["record_id"] for i in hits.items]
    text_hits = dservices.search.search(
        SearchQuery(today=dservices.backends.today(), q="tan phong khai sinh"), SYSTEM
    )
    assert record["record_id"] in [i["record"]["record_id"] for i in text_hits.items]

    # the same scans again: the same record, whatever the new signature would have been
    again = dservices.digitize.digitize([("other-name.png", data)], dict(BIRTH_META), SYSTEM)
    assert (again.outcome, again.record["record_id"]) == ("existing", record["record_id"])
    # other scans under the same key: a conflict naming the record, unless superseding
    other = scan(BIRTH, dpi=200, noise=0.05, seed=9)
    with pytest.raises(Conflict) as conflict:
        dservices.digitize.digitize([("rescan.png", other)], dict(BIRTH_META), SYSTEM)
    assert conflict.value.extra["record_id"] == record["record_id"]
    # the same scans under another result code: already archived (before any OCR)
    _paper, other_meta = numbered(BIRTH, 8)
    with pytest.raises(DuplicateScans) as duplicate:
        dservices.digitize.digitize([("khai-sinh.png", data)], other_meta, SYSTEM)
    assert duplicate.value.problem()["status"] == 409
    assert duplicate.value.extra["record_id"] == record["record_id"]


def test_an_unsigned_pdf_is_still_refused_by_a_plain_deposit(dservices: Services) -> None:
    scans = dservices.digitize.read([("a.png", scan(BIRTH))])
    _paper, meta = numbered(BIRTH, 7)
    with pytest.raises(UnsignedDocument):
        dservices.deposit.deposit(scans.image_pdf(), "a.pdf", meta, SYSTEM)


def test_proposals_fill_a_batch_row_only_when_accepted(dservices: Services) -> None:
    data = scan(ENTERPRISE, "JPEG", dpi=300, rotate=-2.0, blur=0.8, noise=0.03)
    row: dict[str, Any] = {
        "issuer_code": "000.00.15.H62",
        "procedure_code": "2.001610",
        "procedure_name": "Đăng ký thành lập công ty TNHH",
    }
    with pytest.raises(NeedsReview) as unreviewed:
        dservices.digitize.digitize([("dn.jpg", data)], dict(row), SYSTEM)
    proposal = unreviewed.value.extra["proposal"]
    assert proposal["result_code"]["value"] == "000.00.15.H62-210420-0311-KQ2"
    assert unreviewed.value.problem()["status"] == 422

    done = dservices.digitize.digitize([("dn.jpg", data)], dict(row), SYSTEM, accept_proposals=True)
    record = done.record
    assert record["digitization"]["metadata_source"] == "proposed"
    assert record["result_code"] == "000.00.15.H62-210420-0311-KQ2"
    assert record["dossier_code"] == "000.00.15.H62-210420-0311"
    assert record["result_type"] == "Giấy chứng nhận đăng ký doanh nghiệp"
    assert record["issued_on"] == "2021-04-20"
    assert record["valid_until"] == "2030-12-31"
    subjects = {s["id"]: s for s in record["subjects"]}
    assert subjects["0101245486"]["kind"] == "enterprise"
    assert subjects["0101245486"]["name"] == "CÔNG TY TNHH ĐỨC THÀNH"
    assert subjects["079185002468"]["name"] == "Đặng Thị Lan"
    # a rerun of the batch finds it from the scans alone, without a result code
    again = dservices.digitize.digitize(
        [("dn.jpg", data)], dict(row), SYSTEM, accept_proposals=True
    )
    assert (again.outcome, again.record["record_id"]) == ("existing", record["record_id"])


def test_a_blank_page_gives_a_review_entry_and_garbage_a_clear_error(
    dservices: Services,
) -> None:
    blank = Image.new("RGB", (1654, 2339), "white")
    blank.info["dpi"] = (200, 200)
    row = {"issuer_code": "000.00.15.H62"}
    with pytest.raises(NeedsReview) as refused:
        dservices.digitize.digitize(
            [("trang.png", encode(blank))], row, SYSTEM, accept_proposals=True
        )
    reasons = [r["reason"] for r in refused.value.extra["review"] if r["page"] == 1]
    assert any("trống" in r for r in reasons)
    with pytest.raises(ScanRejected, match=r"rac\.png"):
        dservices.digitize.digitize([("rac.png", b"\x89PNG\r\n\x1a\nrubbish")], row, SYSTEM)


def test_fixity_checks_the_scans_kept_in_the_package(dservices: Services) -> None:
    paper, meta = numbered(BIRTH, 11)
    data = scan(paper, noise=0.02)
    done = dservices.digitize.digitize([("a.png", data)], meta, SYSTEM)
    assert dservices.fixity.run(SYSTEM).ok
    sha = done.record["digitization"]["scan_sha256"][0]
    key = dservices.backends.packages.original_key(sha)
    dservices.backends.store.put(key, data[:-1] + bytes([data[-1] ^ 1]))  # one flipped bit
    report = dservices.fixity.run(SYSTEM)
    assert report.mismatches == [
        {
            "record_id": done.record["record_id"],
            "file": key,
            "sha256": sha,
            "problem": "hash mismatch",
        }
    ]
