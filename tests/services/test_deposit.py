"""Depositing through the services, on every requested stack: idempotency, conflicts,
supersession, refusals that leave nothing behind, and the outbox when the index is down."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from kho.archive.errors import InvalidMetadata
from kho.errors import KhoError
from kho.indexer.errors import IndexUnavailable, UnreadableDocument
from kho.services import Access, Services
from kho.services.errors import (
    Conflict,
    PayloadTooLarge,
    UnknownAgency,
    UnsignedDocument,
    UnsupportedMediaType,
)
from kho.services.queries import LookupQuery, SearchQuery

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def stored_keys(services: Services) -> set[str]:
    """Everything in the store but the audit trail and the key secret."""
    return {
        key
        for key in services.backends.store.list("")
        if not key.startswith(("audit/", "secrets/", "keys/"))
    }


def test_a_deposit_is_durable_indexed_and_idempotent(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    meta = metadata()
    pdf = signed_pdf("GIẤY KHAI SINH", ("Họ tên", "Trần Văn Đức"))
    first = services.deposit.deposit(pdf, "khai-sinh.pdf", meta, SYSTEM)
    assert first.outcome == "created"
    assert first.indexed is True
    record = first.record
    assert record["status"] == "valid"
    assert record["signature"]["indication"] == "TOTAL-PASSED"
    assert record["size"] == len(pdf)
    assert record["filename"] == "khai-sinh.pdf"

    again = services.deposit.deposit(pdf, "other-name.pdf", meta, SYSTEM)
    assert again.outcome == "existing"
    assert again.record["record_id"] == record["record_id"]
    assert len(list(services.backends.packages.claims())) == 1

    found = services.lookup.lookup(
        LookupQuery(subject_id="001203001234", valid_on=services.backends.today()), SYSTEM
    )
    assert [item["record_id"] for item in found.items] == [record["record_id"]]


def test_other_bytes_under_the_same_result_code_are_a_conflict(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    meta = metadata()
    services.deposit.deposit(signed_pdf("GIẤY KHAI SINH"), "a.pdf", meta, SYSTEM)
    before = stored_keys(services)
    with pytest.raises(Conflict):
        services.deposit.deposit(signed_pdf("GIẤY KHAI SINH (SỬA)"), "b.pdf", meta, SYSTEM)
    assert stored_keys(services) == before


def test_a_deposit_may_supersede_the_result_it_replaces(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    meta = metadata()
    old = services.deposit.deposit(signed_pdf("GIẤY KHAI SINH"), "a.pdf", meta, SYSTEM)
    old_id = old.record["record_id"]
    # the same result code, corrected bytes, explicitly superseding the old record
    new = services.deposit.deposit(
        signed_pdf("GIẤY KHAI SINH (CẤP LẠI)"), "b.pdf", {**meta, "supersedes": old_id}, SYSTEM
    )
    assert new.outcome == "created"
    today = services.backends.today()
    valid = services.lookup.lookup(LookupQuery(subject_id="001203001234", valid_on=today), SYSTEM)
    assert [i["record_id"] for i in valid.items] == [new.record["record_id"]]
    everything = services.lookup.lookup(
        LookupQuery(subject_id="001203001234", valid_on=today, include_invalid=True), SYSTEM
    )
    statuses = {i["record_id"]: i["status"] for i in everything.items}
    assert statuses == {old_id: "superseded", new.record["record_id"]: "valid"}
    assert services.records.get(old_id, SYSTEM)["superseded_by"] == new.record["record_id"]
    # the current claim on the code is the new record: depositing it again is idempotent
    again = services.deposit.deposit(
        signed_pdf("GIẤY KHAI SINH (CẤP LẠI)"), "b.pdf", {**meta, "supersedes": old_id}, SYSTEM
    )
    assert again.outcome == "existing"


def test_revocation_removes_a_result_from_reuse_from_that_day(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    out = services.deposit.deposit(signed_pdf("PHIẾU LÝ LỊCH TƯ PHÁP"), "a.pdf", metadata(), SYSTEM)
    rid = out.record["record_id"]
    today = services.backends.today()
    view = services.lifecycle.revoke(rid, "Cấp sai thông tin", SYSTEM)
    assert view["status"] == "revoked"
    assert view["revocation_reason"] == "Cấp sai thông tin"
    assert (
        services.lookup.lookup(LookupQuery(subject_id="001203001234", valid_on=today), SYSTEM).total
        == 0
    )
    # a day before the revocation it was valid, and it is kept, not deleted
    yesterday = today - timedelta(days=1)
    assert (
        services.lookup.lookup(
            LookupQuery(subject_id="001203001234", valid_on=yesterday), SYSTEM
        ).total
        == 1
    )
    with pytest.raises(Conflict):
        services.lifecycle.revoke(rid, "again", SYSTEM)


@pytest.mark.parametrize(
    ("make_data", "error"),
    [
        (lambda pdf: b"", UnsupportedMediaType),
        (lambda pdf: b"PK\x03\x04 this is a zip", UnsupportedMediaType),
        (lambda pdf: b"<html>%PDF-1.7 in disguise</html>" + b" " * 2000, UnreadableDocument),
        (lambda pdf: pdf[: len(pdf) // 2], UnreadableDocument),
        (lambda pdf: b"%PDF-1.7\n" + b"\x00garbage" * 100, UnreadableDocument),
    ],
    ids=["empty", "zip", "html", "truncated", "garbage"],
)
def test_bad_files_are_refused_and_leave_nothing_behind(
    services: Services,
    signed_pdf: Pdf,
    metadata: Meta,
    make_data: Callable[[bytes], bytes],
    error: type[KhoError],
) -> None:
    before = stored_keys(services)
    with pytest.raises(error):
        services.deposit.deposit(make_data(signed_pdf()), "x.pdf", metadata(), SYSTEM)
    assert stored_keys(services) == before


def test_an_unsigned_pdf_is_refused(services: Services, make_pdf: Pdf, metadata: Meta) -> None:
    before = stored_keys(services)
    with pytest.raises(UnsignedDocument):
        services.deposit.deposit(make_pdf("GIẤY KHAI SINH"), "x.pdf", metadata(), SYSTEM)
    assert stored_keys(services) == before


def test_a_file_over_the_limit_is_refused(services: Services, metadata: Meta) -> None:
    too_big = b"%PDF-1.7\n" + b"0" * services.settings.max_upload_bytes
    with pytest.raises(PayloadTooLarge):
        services.deposit.deposit(too_big, "x.pdf", metadata(), SYSTEM)


def test_a_result_issued_in_the_future_is_refused(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    tomorrow = (services.backends.today() + timedelta(days=1)).isoformat()
    with pytest.raises(InvalidMetadata, match="future"):
        services.deposit.deposit(signed_pdf(), "x.pdf", metadata(issued_on=tomorrow), SYSTEM)


def test_supersedes_must_name_an_existing_record(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    with pytest.raises(InvalidMetadata, match="supersedes"):
        services.deposit.deposit(
            signed_pdf(), "x.pdf", metadata(supersedes="01M84Y42J13V8AQQYYG55J2KN3"), SYSTEM
        )


def test_unknown_agencies_are_refused_only_with_a_registry(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    services.deposit.agencies = frozenset({"000.00.00.H79"})
    with pytest.raises(UnknownAgency):
        services.deposit.deposit(signed_pdf(), "x.pdf", metadata(), SYSTEM)
    services.deposit.agencies = None
    assert services.deposit.deposit(signed_pdf(), "x.pdf", metadata(), SYSTEM).outcome == "created"


def test_signature_problems_are_kept_and_visible(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    untrusted = services.deposit.deposit(
        signed_pdf("TRÍCH LỤC", signer="untrusted"), "u.pdf", metadata(), SYSTEM
    )
    assert untrusted.record["signature"]["indication"] == "INDETERMINATE"
    assert untrusted.record["reusable"] is False
    assert untrusted.record["reuse_blockers"] == ["signature_indeterminate"]
    today = services.backends.today()
    # Not reusable: absent from the reuse lookup, listed with its blocker under include_invalid.
    assert (
        services.lookup.lookup(LookupQuery(subject_id="001203001234", valid_on=today), SYSTEM).total
        == 0
    )
    found = services.lookup.lookup(
        LookupQuery(subject_id="001203001234", valid_on=today, include_invalid=True), SYSTEM
    )
    assert found.items[0]["signature"]["indication"] == "INDETERMINATE"
    assert found.items[0]["reuse_blockers"] == ["signature_indeterminate"]


class _DownIndex:
    """Stands in for an index that cannot be reached (unit-level: the service's reaction)."""

    name = "down"

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise IndexUnavailable("index down (test)")

        return fail


def test_with_the_index_down_deposits_succeed_and_catch_up(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    real_index = services.backends.index
    services.backends.index = _DownIndex()  # type: ignore[assignment]
    try:
        out = services.deposit.deposit(signed_pdf(), "x.pdf", metadata(), SYSTEM)
        assert out.outcome == "created"
        assert out.indexed is False
        assert [rid for rid, _ in services.backends.packages.outbox()] == [out.record["record_id"]]
        with pytest.raises(IndexUnavailable):
            services.lookup.lookup(
                LookupQuery(subject_id="001203001234", valid_on=date.today()), SYSTEM
            )
    finally:
        services.backends.index = real_index
    assert services.indexing.drain_outbox() == 1
    assert list(services.backends.packages.outbox()) == []
    assert real_index.get(out.record["record_id"]) is not None


def test_reindex_from_the_store_alone_gives_the_same_answers(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    for title in ("GIẤY KHAI SINH", "PHIẾU LÝ LỊCH TƯ PHÁP", "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT"):
        services.deposit.deposit(
            signed_pdf(title), "x.pdf", metadata(result_type=title.title()), SYSTEM
        )
    today = services.backends.today()

    def answers() -> tuple[Any, ...]:
        lookup = services.lookup.lookup(
            LookupQuery(subject_id="001203001234", valid_on=today), SYSTEM
        )
        search = services.search.search(SearchQuery(today=today, q="quyen su dung dat"), SYSTEM)
        return (
            sorted(i["record_id"] for i in lookup.items),
            [i["record"]["record_id"] for i in search.items],
            search.facets,
        )

    before = answers()
    services.backends.index.rebuild().commit()  # wipe: an empty rebuild
    assert services.backends.index.count() == 0
    assert services.indexing.reindex() == 3
    assert answers() == before


def test_fixity_finds_a_flipped_bit(services: Services, signed_pdf: Pdf, metadata: Meta) -> None:
    out = services.deposit.deposit(signed_pdf(), "x.pdf", metadata(), SYSTEM)
    assert services.fixity.run(SYSTEM).ok
    store = services.backends.store
    key = services.backends.packages.original_key(out.record["sha256"])
    data = bytearray(store.get(key))
    data[len(data) // 2] ^= 0x01
    store.put(key, bytes(data))
    report = services.fixity.run(SYSTEM)
    assert not report.ok
    assert report.mismatches == [
        {
            "record_id": out.record["record_id"],
            "file": key,
            "sha256": out.record["sha256"],
            "problem": "hash mismatch",
        }
    ]
