"""One signed result, one record, on every stack: the same bytes under another result code
are refused, also when the deposits race, after a crash, and for archives made before
content claims (`kho reindex` backfills them)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from kho.archive.package import ContentClaim
from kho.archive.record import parse_metadata
from kho.services import Access, Services
from kho.services.errors import Conflict, DuplicateContent

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def visible(services: Services) -> list[str]:
    return sorted(c.record_id for c in services.backends.packages.claims())


def test_the_same_bytes_under_another_result_code_are_refused_naming_the_holder(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "dup-1"))
    first = services.deposit.deposit(pdf, "a.pdf", metadata(), SYSTEM).record["record_id"]
    for other in (
        metadata(),  # another result code of the same agency
        metadata(issuer_code="000.00.00.H79", result_code="H79-2026-77", dossier_code=None),
        metadata(supersedes=first),  # superseding does not make the same bytes a new result
    ):
        with pytest.raises(DuplicateContent) as refused:
            services.deposit.deposit(pdf, "b.pdf", other, SYSTEM)
        assert refused.value.extra["record_id"] == first
        assert refused.value.problem()["type"] == "/problems/duplicate-content"
        assert refused.value.problem()["status"] == 409
    assert visible(services) == [first]
    assert services.records.view(services.backends.packages.latest_manifest(first))["status"] == (
        "valid"
    )


def test_racing_deposits_of_the_same_bytes_make_one_record(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "race"))
    metas = [metadata() for _ in range(4)]

    def attempt(meta: dict[str, Any]) -> str:
        try:
            return services.deposit.deposit(pdf, "r.pdf", meta, SYSTEM).outcome
        except (DuplicateContent, Conflict) as exc:
            return exc.problem_type

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, metas))
    assert outcomes.count("created") == 1, outcomes
    assert set(outcomes) <= {"created", "duplicate-content", "conflict"}
    assert len(visible(services)) == 1


def test_a_crashed_deposits_claim_is_honoured_while_young_then_taken_over(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "crash"))
    sha = hashlib.sha256(pdf).hexdigest()
    # A deposit took the content claim, then died before its own claim.
    services.backends.packages.write_content_claim(
        ContentClaim(
            sha256=sha,
            issuer_code="000.00.15.H62",
            result_code="000.00.15.H62-261101-0999-KQ1",
            record_id="01JD3V7Y8K3N2W6Q4T9ZB5XK1M",
            at=services.backends.now(),
            generation=1,
        )
    )
    with pytest.raises(Conflict, match="try again"):
        services.deposit.deposit(pdf, "a.pdf", metadata(), SYSTEM)
    assert visible(services) == []
    # An hour later the abandoned claim gives way.
    later = services.backends.now() + timedelta(hours=2)
    services.backends.clock = lambda: later
    created = services.deposit.deposit(pdf, "a.pdf", metadata(), SYSTEM)
    assert created.outcome == "created"
    claim = services.backends.packages.content_claim(sha)
    assert claim is not None and claim.generation == 2
    assert claim.record_id == created.record["record_id"]


def test_a_failed_deposit_releases_its_content_claim(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "release"))
    sha = hashlib.sha256(pdf).hexdigest()
    lost = parse_metadata(metadata())
    taken = services.deposit.content.take(sha, lost, "01JD3V7Y8K3N2W6Q4T9ZB5XK1M")
    assert taken is not None
    services.deposit.content.release(taken)
    # No wait: another result code may take these bytes at once.
    assert services.deposit.deposit(pdf, "a.pdf", metadata(), SYSTEM).outcome == "created"


def test_reindex_gives_an_old_archive_its_content_claims(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    store = services.backends.store

    def forget_content_claims() -> None:  # as an archive made before them
        for key in list(store.list("content/")):
            store.delete(key)

    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "old"))
    first = services.deposit.deposit(pdf, "a.pdf", metadata(), SYSTEM).record["record_id"]
    forget_content_claims()
    # Before the rule, the same bytes could be archived twice.
    second = services.deposit.deposit(pdf, "b.pdf", metadata(), SYSTEM).record["record_id"]
    forget_content_claims()
    other = services.deposit.deposit(
        signed_pdf("GIẤY KHAI SINH", ("Số", "old-2")), "c.pdf", metadata(), SYSTEM
    ).record["record_id"]
    forget_content_claims()

    backfill = services.deposit.content.backfill()
    assert backfill.added == 2
    assert backfill.duplicates == ((second, first),)
    with pytest.raises(DuplicateContent) as refused:
        services.deposit.deposit(pdf, "d.pdf", metadata(), SYSTEM)
    assert refused.value.extra["record_id"] == first
    assert services.deposit.content.backfill().added == 0  # idempotent
    assert {first, second, other} == set(visible(services))


def test_the_same_bytes_again_under_the_same_code_are_still_the_existing_record(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    meta = metadata()
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "again"))
    first = services.deposit.deposit(pdf, "a.pdf", meta, SYSTEM)
    again = services.deposit.deposit(pdf, "a.pdf", meta, SYSTEM)
    assert (again.outcome, again.record["record_id"]) == ("existing", first.record["record_id"])
