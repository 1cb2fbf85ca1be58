"""Path validation results are cached per chain, trust config, revocation data and time
bucket: a second document from the same signer costs no path validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from kho.archive.signatures import (
    Indication,
    PathOutcome,
    PathValidationCache,
    TrustConfig,
    validate_pdf,
)
from kho.demo.pki import TestPKI

if TYPE_CHECKING:
    from conftest import Fixtures


def test_same_signer_second_document_hits_the_cache(
    pdfs: Fixtures, trust: TrustConfig, cache: PathValidationCache[PathOutcome]
) -> None:
    validate_pdf(pdfs.good, trust, cache=cache)
    validations = cache.misses
    assert validations >= 1
    report = validate_pdf(pdfs.good_other, trust, cache=cache)
    assert report.indication is Indication.TOTAL_PASSED
    assert cache.misses == validations  # no new path validation
    assert cache.hits >= 1


def test_time_moves_on_within_a_bucket(
    pdfs: Fixtures, trust: TrustConfig, cache: PathValidationCache[PathOutcome]
) -> None:
    now = datetime.now(UTC)
    validate_pdf(pdfs.good, trust, cache=cache, now=now)
    validations = cache.misses
    validate_pdf(pdfs.good, trust, cache=cache, now=now + timedelta(hours=6))
    assert cache.misses == validations


def test_crossing_a_validity_bound_is_a_new_bucket(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI, cache: PathValidationCache[PathOutcome]
) -> None:
    agency = pki.signer_certificate("agency")
    before_expiry = agency.not_valid_after_utc - timedelta(days=1)
    after_expiry = agency.not_valid_after_utc + timedelta(days=1)
    assert validate_pdf(pdfs.good, trust, cache=cache, now=before_expiry).indication is (
        Indication.TOTAL_PASSED
    )
    validations = cache.misses
    late = validate_pdf(pdfs.good, trust, cache=cache, now=after_expiry)
    assert late.indication is Indication.INDETERMINATE
    assert cache.misses > validations


def test_crossing_a_revocation_date_is_a_new_bucket(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI, cache: PathValidationCache[PathOutcome]
) -> None:
    # judged as of a proof just before, then just after, the revocation
    before = validate_pdf(
        pdfs.revoked, trust, cache=cache, moment=pki.revoked_at - timedelta(hours=1)
    )
    after = validate_pdf(
        pdfs.revoked, trust, cache=cache, moment=pki.revoked_at + timedelta(hours=1)
    )
    assert before.indication is Indication.TOTAL_PASSED
    assert after.indication is Indication.INDETERMINATE


def test_another_trust_config_does_not_reuse_results(
    pdfs: Fixtures, trust: TrustConfig, pki: TestPKI, cache: PathValidationCache[PathOutcome]
) -> None:
    validate_pdf(pdfs.good, trust, cache=cache)
    validations = cache.misses
    roots_only = TrustConfig.from_paths([pki.root_cert_path])
    assert roots_only.fingerprint != trust.fingerprint
    validate_pdf(pdfs.good, roots_only, cache=cache)
    assert cache.misses > validations


def test_cache_is_bounded_and_can_be_cleared(pdfs: Fixtures, trust: TrustConfig) -> None:
    small: PathValidationCache[PathOutcome] = PathValidationCache(max_entries=1)
    validate_pdf(pdfs.two_signatures, trust, cache=small)  # signer, second signer, TSA
    assert small.stats().entries == 1
    small.clear()
    assert small.stats().entries == small.hits == small.misses == 0
