"""Every fixture case gets its exact ETSI EN 319 102-1 indication."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from support.pki import TestPKI

from kho.archive.signatures import (
    Coverage,
    EncryptedPdf,
    Indication,
    PathOutcome,
    PathValidationCache,
    SubIndication,
    TrustConfig,
    UnreadablePdf,
    validate_pdf,
)

if TYPE_CHECKING:
    from conftest import Fixtures

PASSED, INDETERMINATE, FAILED = (
    Indication.TOTAL_PASSED,
    Indication.INDETERMINATE,
    Indication.TOTAL_FAILED,
)

CASES = [
    # (fixture, indication, sub-indication)
    ("good", PASSED, None),
    ("two_signatures", PASSED, None),
    ("tampered", FAILED, SubIndication.HASH_FAILURE),
    ("broken_signature_value", FAILED, SubIndication.SIG_CRYPTO_FAILURE),
    # Unexplained changes after an approval signature: the signed revision is intact, so
    # not TOTAL-FAILED (EN 319 102-1 § 5.1.3), but never passed (the policy's
    # undefined_changes level, INDETERMINATE by default).
    ("content_replaced", INDETERMINATE, SubIndication.SIG_CONSTRAINTS_FAILURE),
    ("content_overwritten", INDETERMINATE, SubIndication.SIG_CONSTRAINTS_FAILURE),
    ("untrusted", INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
    ("expired", INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE),
    ("expired_timestamped", PASSED, None),
    ("expired_document_timestamp", PASSED, None),
    ("revoked", INDETERMINATE, SubIndication.REVOKED_NO_POE),
    ("timestamp_before_certificate", FAILED, SubIndication.NOT_YET_VALID),
    ("owner_password_only_signed", PASSED, None),
]


@pytest.mark.parametrize(("case", "indication", "subindication"), CASES)
def test_fixture_case_gets_its_indication(
    pdfs: Fixtures,
    trust: TrustConfig,
    case: str,
    indication: Indication,
    subindication: SubIndication | None,
) -> None:
    report = validate_pdf(getattr(pdfs, case), trust)
    assert report.signed
    assert (report.indication, report.subindication) == (indication, subindication)
    assert report.summary()["indication"] == indication.value
    for signature in report.signatures:
        assert signature.message_vi and signature.message_en


def test_good_signature_details(pdfs: Fixtures, trust: TrustConfig, pki: TestPKI) -> None:
    [signature] = validate_pdf(pdfs.good, trust).signatures
    assert signature.intact and signature.valid and signature.trusted
    assert signature.coverage is Coverage.ENTIRE_FILE
    assert not signature.modified_after_signing
    assert signature.modification_level == "NONE"
    assert signature.signer is not None
    assert signature.signer.common_name == "UBND xã Tân Phong"
    assert "CN=UBND xã Tân Phong" in signature.signer.subject
    assert "Kho Test CA" in signature.signer.issuer
    assert signature.signer.serial == format(pki.signer_certificate("agency").serial_number, "X")
    assert signature.claimed_signing_time is not None
    assert signature.timestamp_time is None
    assert signature.message_vi.startswith("Chữ ký hợp lệ")


def test_two_signatures_first_is_extended_by_the_second(pdfs: Fixtures, trust: TrustConfig) -> None:
    report = validate_pdf(pdfs.two_signatures, trust)
    first, second = report.signatures
    assert first.coverage is Coverage.ENTIRE_REVISION
    assert first.modified_after_signing and first.modification_level == "FORM_FILLING"
    assert first.indication is PASSED
    assert second.coverage is Coverage.ENTIRE_FILE
    assert second.timestamp_time is not None and second.timestamp_trusted
    summary = report.summary()
    assert summary["signer"] == "Sở Tư pháp tỉnh Lai Châu"  # the last signature's


@pytest.mark.parametrize("case", ["content_replaced", "content_overwritten"])
def test_content_changed_after_signing_is_never_passed(
    pdfs: Fixtures, trust: TrustConfig, case: str
) -> None:
    [signature] = validate_pdf(getattr(pdfs, case), trust).signatures
    assert signature.intact and signature.valid  # the signed bytes themselves are fine
    assert signature.indication is INDETERMINATE
    assert signature.subindication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert signature.modified_after_signing
    assert signature.modification_level == "OTHER"
    assert "sửa đổi sau khi ký" in signature.message_vi


def test_untrusted_root_when_no_roots_are_configured(pdfs: Fixtures) -> None:
    report = validate_pdf(pdfs.good, TrustConfig())  # never the operating system's store
    assert report.subindication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert report.indication is INDETERMINATE


def test_expired_signer_with_timestamp_is_judged_at_the_timestamp(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI
) -> None:
    [signature] = validate_pdf(pdfs.expired_timestamped, trust).signatures
    assert signature.timestamp_time == pki.expired_signing_time
    assert signature.timestamp_trusted
    assert signature.validation_time == pki.expired_signing_time
    assert signature.trusted


def test_revoked_signer_message_names_the_revocation(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI
) -> None:
    [signature] = validate_pdf(pdfs.revoked, trust).signatures
    assert not signature.trusted
    assert pki.revoked_at.strftime("%d/%m/%Y") in signature.message_vi
    assert "thu hồi" in signature.message_vi


def test_unsigned_pdf_is_reported_unsigned(pdfs: Fixtures, trust: TrustConfig) -> None:
    report = validate_pdf(pdfs.unsigned, trust)
    assert not report.signed
    assert report.signatures == ()
    assert report.indication is None
    assert report.summary() == {
        "indication": None,
        "subindication": None,
        "signer": None,
        "signed_at": None,
    }


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not a PDF at all" * 50,
        b"%PDF-1.7\n" + bytes(range(256)) * 20,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    ],
    ids=["empty", "text", "pdf-header-then-garbage", "png"],
)
def test_garbage_is_unreadable(data: bytes, trust: TrustConfig) -> None:
    with pytest.raises(UnreadablePdf):
        validate_pdf(data, trust)


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_is_unreadable(pdfs: Fixtures, trust: TrustConfig, keep: float) -> None:
    with pytest.raises(UnreadablePdf):
        validate_pdf(pdfs.good[: int(len(pdfs.good) * keep)], trust)


def test_truncated_after_its_signature_fails_format_checking(
    pdfs: Fixtures, trust: TrustConfig
) -> None:
    # The cross-reference data is gone but the signature dictionary is still there: a
    # signed file too damaged to read, whose signature cannot be checked (as EU DSS says).
    report = validate_pdf(pdfs.good[:-10], trust)
    [signature] = report.signatures
    assert (signature.indication, signature.subindication) == (
        FAILED,
        SubIndication.FORMAT_FAILURE,
    )
    assert "cấu trúc tệp PDF bị hỏng" in signature.message_vi
    assert report.policy is not None and report.policy["name"] == "kho-default"


def test_encrypted_is_refused(pdfs: Fixtures, trust: TrustConfig) -> None:
    with pytest.raises(EncryptedPdf):
        validate_pdf(pdfs.encrypted, trust)
    assert issubclass(EncryptedPdf, UnreadablePdf)


def test_bad_input_shows_no_traceback(
    pdfs: Fixtures,
    trust: TrustConfig,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    for data in (pdfs.tampered, pdfs.untrusted, pdfs.revoked, b"%PDF-1.4\ngarbage"):
        with contextlib.suppress(UnreadablePdf):
            validate_pdf(data, trust)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert not [r for r in caplog.records if r.exc_info]


# --- past validation: the archive's deposit time as proof of existence -----------------


def test_moment_rescues_an_expired_signer(pdfs: Fixtures, trust: TrustConfig, pki: TestPKI) -> None:
    deposited = pki.expired_signing_time + timedelta(days=1)
    report = validate_pdf(pdfs.expired, trust, moment=deposited)
    assert report.indication is PASSED
    assert report.validation_time_used == deposited
    assert report.signatures[0].validation_time == deposited


def test_moment_before_revocation_passes_after_it_does_not(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI
) -> None:
    signed_at = validate_pdf(pdfs.revoked, trust).signatures[0].claimed_signing_time
    assert signed_at is not None and signed_at > pki.revoked_at
    # The revoked signer's document signed "now": a deposit before revocation is
    # impossible in reality, but it is what the proof would say.
    before = validate_pdf(pdfs.revoked, trust, moment=pki.revoked_at - timedelta(days=1))
    after = validate_pdf(pdfs.revoked, trust, moment=pki.revoked_at + timedelta(days=1))
    assert before.indication is PASSED
    assert (after.indication, after.subindication) == (
        INDETERMINATE,
        SubIndication.REVOKED_NO_POE,
    )


def test_moment_does_not_help_a_tampered_document(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI
) -> None:
    report = validate_pdf(pdfs.tampered, trust, moment=datetime.now(UTC) - timedelta(days=1))
    assert report.subindication is SubIndication.HASH_FAILURE


def test_moment_in_the_future_is_capped_at_now(pdfs: Fixtures, trust: TrustConfig) -> None:
    report = validate_pdf(pdfs.expired, trust, moment=datetime.now(UTC) + timedelta(days=9))
    assert report.subindication is SubIndication.OUT_OF_BOUNDS_NO_POE


def test_works_when_called_from_a_running_event_loop(
    pdfs: Fixtures, trust: TrustConfig, cache: PathValidationCache[PathOutcome]
) -> None:
    async def handler() -> Indication | None:  # e.g. an async web route calling directly
        return validate_pdf(pdfs.good, trust, cache=cache).indication

    assert asyncio.run(handler()) is PASSED
    assert cache.misses >= 1  # the path validation really ran inside the loop


def test_naive_moment_is_a_programming_error(pdfs: Fixtures, trust: TrustConfig) -> None:
    with pytest.raises(ValueError, match="aware"):
        validate_pdf(pdfs.good, trust, moment=datetime(2025, 1, 1))


# --- revocation data carried by the document (DSS) ------------------------------------


def test_embedded_ocsp_revokes_without_configured_crls(pdfs: Fixtures, pki: TestPKI) -> None:
    roots_only = TrustConfig.from_paths([pki.root_cert_path])
    with_dss = pki.add_validation_info(pdfs.revoked, "revoked")
    report = validate_pdf(with_dss, roots_only)
    assert report.subindication is SubIndication.REVOKED_NO_POE
    assert len(report.evidence().ocsp_responses) == 1
    assert validate_pdf(pdfs.revoked, roots_only).indication is PASSED  # nothing says revoked


def test_validation_data_update_is_not_a_modification(pdfs: Fixtures, pki: TestPKI) -> None:
    roots_only = TrustConfig.from_paths([pki.root_cert_path])
    [signature] = validate_pdf(pki.add_validation_info(pdfs.good, "agency"), roots_only).signatures
    assert signature.indication is PASSED
    assert signature.coverage is Coverage.ENTIRE_REVISION
    assert signature.modification_level == "LTA_UPDATES"
    assert not signature.modified_after_signing


# --- evidence and JSON ---------------------------------------------------------------


def test_evidence_holds_the_chain_and_the_crl(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI
) -> None:
    evidence = validate_pdf(pdfs.revoked, trust).evidence()
    subjects = {
        asn1_x509.Certificate.load(der).subject.native["common_name"]
        for der in evidence.certificates
    }
    assert {"UBND xã Bản Bo (chứng thư bị thu hồi)", "Kho Test Root CA"} <= subjects
    issuers = {
        asn1_crl.CertificateList.load(der).issuer.native["common_name"] for der in evidence.crls
    }
    assert "Kho Test CA chuyên dùng Chính phủ" in issuers
    assert evidence.to_json()["certificates"]  # base64 strings


def test_timestamped_evidence_includes_the_tsa(pdfs: Fixtures, trust: TrustConfig) -> None:
    evidence = validate_pdf(pdfs.expired_timestamped, trust).evidence()
    names = {
        asn1_x509.Certificate.load(der).subject.native["common_name"]
        for der in evidence.certificates
    }
    assert "Kho Test TSA" in names


def test_json_report_is_json_with_rfc3339_times(pdfs: Fixtures, trust: TrustConfig) -> None:
    document = validate_pdf(pdfs.two_signatures, trust).to_json()
    text = json.dumps(document, ensure_ascii=False)
    assert "UBND xã Tân Phong" in text
    assert document["indication"] == "TOTAL-PASSED"
    for stamp in (document["validated_at"], document["signatures"][1]["timestamp_time"]):
        assert datetime.fromisoformat(stamp).utcoffset() is not None
    assert set(document["signatures"][0]) >= {
        "field_name",
        "signer",
        "claimed_signing_time",
        "timestamp_time",
        "indication",
        "subindication",
        "coverage",
        "modified_after_signing",
        "modification_level",
        "trusted",
        "intact",
        "valid",
        "message_vi",
        "message_en",
    }


def test_summary_is_the_worst_indication_with_the_last_signer(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI
) -> None:
    # a good signature, then one by the untrusted signer: INDETERMINATE overall
    report = validate_pdf(pki.sign_pdf(pdfs.good, "untrusted"), trust)
    assert [s.indication for s in report.signatures] == [PASSED, INDETERMINATE]
    summary = report.summary()
    assert summary["indication"] == "INDETERMINATE"
    assert summary["subindication"] == "NO_CERTIFICATE_CHAIN_FOUND"
    assert summary["signer"] == "UBND xã Giả Mạo"
    assert summary["signed_at"] is not None
    # a tampered first signature outweighs everything
    failed = validate_pdf(pki.sign_pdf(pdfs.tampered, "second"), trust)
    assert failed.summary()["indication"] == "TOTAL-FAILED"
    assert failed.summary()["subindication"] == "HASH_FAILURE"
