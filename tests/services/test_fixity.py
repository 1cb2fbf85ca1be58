"""Fixity over every package file against the audited hashes, on every stack: a clean
archive after revocation, supersession and revalidation passes; a planted manifest
version, a removed revocation, edited text and a missing claim are each named; a package
from before hashes were audited is reported as such, not as corrupt."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from support.tamper import overwrite, remove

from kho.archive.manifest import Actor
from kho.archive.package import Claim
from kho.services import Access, Services
from kho.settings import Settings

Pdf = Callable[..., bytes]
Meta = Callable[..., dict[str, Any]]
AGENCY = Access(actor=Actor(agency="000.00.15.H62", key_id="0123456789abcdef"))


def deposit(services: Services, pdf: bytes, meta: dict[str, Any]) -> str:
    return str(services.deposit.deposit(pdf, "kq.pdf", meta, AGENCY).record["record_id"])


def problems(services: Services) -> list[tuple[str, str, str]]:
    report = services.fixity.run(Access.system())
    return [(m["record_id"], m["file"], m["problem"]) for m in report.mismatches]


def test_every_change_is_audited_so_a_clean_archive_passes(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    first = deposit(services, signed_pdf("GIẤY KHAI SINH"), metadata())
    meta = metadata()
    old = deposit(services, signed_pdf("GIẤY CHỨNG NHẬN KẾT HÔN"), meta)
    deposit(services, signed_pdf("GIẤY XÁC NHẬN"), {**meta, "supersedes": old})
    services.lifecycle.revoke(first, "Cấp sai thông tin", AGENCY)
    services.verify.revalidate(first, Access.system())
    report = services.fixity.run(Access.system())
    assert report.ok, report.mismatches
    assert report.checked == 3 and report.unaudited == []
    # 3 records x (original, manifest, text, report, claim) + revocation, revalidation
    # (report and manifest) and the supersession's manifest
    assert report.files == 15 + 1 + 2 + 1


def test_a_planted_version_a_removed_revocation_and_edited_text_are_named(
    services: Services, settings: Settings, signed_pdf: Pdf, metadata: Meta
) -> None:
    planted = deposit(services, signed_pdf("GIẤY KHAI SINH"), metadata())
    revoked = deposit(services, signed_pdf("GIẤY CHỨNG NHẬN KẾT HÔN"), metadata())
    edited = deposit(services, signed_pdf("GIẤY XÁC NHẬN"), metadata())
    services.lifecycle.revoke(revoked, "Cấp sai thông tin", AGENCY)
    store = services.backends.store
    # A newer manifest version that no audit event wrote: readers would take it as latest.
    v1 = json.loads(store.get(f"records/{planted}/manifest/v000001.json"))
    store.put(
        f"records/{planted}/manifest/v000002.json",
        json.dumps({**v1, "version": 2, "valid_until": "2099-12-31"}).encode(),
    )
    # The revocation undone by removing its manifest version.
    remove(settings, f"records/{revoked}/manifest/v000002.json")
    overwrite(settings, f"records/{edited}/text.json", json.dumps({"pages": ["khác"]}).encode())
    assert sorted(problems(services)) == sorted(
        [
            (
                planted,
                f"records/{planted}/manifest/v000002.json",
                "not in the audit trail (written without an audit event, or planted)",
            ),
            (revoked, f"records/{revoked}/manifest/v000002.json", "missing since it was audited"),
            (
                edited,
                f"records/{edited}/text.json",
                "changed since it was audited (its SHA-256 differs)",
            ),
        ]
    )


def test_a_record_whose_claim_was_removed_is_missing(
    services: Services, settings: Settings, signed_pdf: Pdf, metadata: Meta
) -> None:
    record_id = deposit(services, signed_pdf("GIẤY KHAI SINH"), metadata())
    claim_key = next(iter(services.backends.store.list("claims/")))
    remove(settings, claim_key)
    found = problems(services)
    assert found == [
        (
            record_id,
            claim_key,
            "missing since it was audited (the record is no longer visible)",
        )
    ]


def test_a_package_from_before_audited_hashes_is_unaudited_not_corrupt(
    services: Services, signed_pdf: Pdf, metadata: Meta
) -> None:
    record_id = deposit(services, signed_pdf("GIẤY KHAI SINH"), metadata())
    packages = services.backends.packages
    manifest = packages.latest_manifest(record_id)
    # An older Kho's deposit: the same package parts, and a deposit event without hashes.
    old = manifest.model_copy(update={"record_id": "01J00000000000000000000000"})
    meta = metadata()
    old = old.model_copy(update={"result_code": meta["result_code"]})
    packages.write_manifest(old)
    packages.put_text(old.record_id, ("văn bản",))
    packages.write_claim(Claim(old.issuer_code, old.result_code, old.record_id, old.file.sha256))
    services.audit.record("deposit", Access.system(), outcome="created", record_ids=[old.record_id])
    report = services.fixity.run(Access.system())
    assert report.ok, report.mismatches
    assert report.unaudited == [old.record_id] and report.checked == 2
