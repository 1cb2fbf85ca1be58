"""Digitizing a paper result: scans → OCR (PDF/A-2b) → proposals and QR → the officer's
confirmed metadata → the agency's signature → a normal deposit with origin `digitized`.

Identity (CONTRACT.md "Digitization"): the same scans under the same (issuer_code,
result_code) are the same result, so a repeated run answers `existing` before any OCR is
done, which is what makes a batch over thousands of scans cheap to resume; other scans
under that key are a conflict unless the metadata supersedes the record. The scans are kept
in the package (content-addressed, like originals) before the record becomes visible.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Final

from kho.archive.deposit_warnings import DepositWarning
from kho.archive.digitized import DigitizationInfo, ReviewNote, ScanInfo
from kho.archive.errors import InvalidMetadata, ObjectNotFound
from kho.archive.record import DepositMetadata
from kho.digitization.errors import DuplicateScans, NeedsReview, PdfaFailed
from kho.digitization.fields import Proposal, ReviewEntry, fold
from kho.digitization.ocr import OcrOptions, OcrResult, check_ocr_available, run_ocr
from kho.digitization.pdfa import PdfaChecker
from kho.digitization.proposals import propose
from kho.digitization.qr import QrUnavailable, merge_qr, read_qr
from kho.digitization.scans import MIN_DPI, ScanLimits, ScanSet, read_scans
from kho.digitization.signing import AgencySigner, SigningConfig
from kho.services.access import Access
from kho.services.base import Backends
from kho.services.deposit import DepositOutcome, DepositService
from kho.services.errors import Conflict

__all__ = ["DigitizeOutcome", "DigitizeService", "Scan"]

Scan = tuple[str, bytes]  # (file name, bytes) as given
_REF_PREFIX: Final = "digitized/"
_REQUIRED: Final = (
    "issuer_code",
    "result_code",
    "procedure_code",
    "procedure_name",
    "result_type",
    "subjects",
    "issued_on",
)


@dataclass(frozen=True)
class DigitizeOutcome:
    outcome: str  # "created" | "existing"
    record: dict[str, Any]
    indexed: bool
    warnings: tuple[DepositWarning, ...] = ()
    review: tuple[ReviewEntry, ...] = ()


@dataclass
class Proposed:
    """What OCR and the QR code propose for a set of scans (nothing is stored)."""

    scans: ScanSet
    ocr: OcrResult
    proposal: Proposal
    notes: list[ReviewEntry] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        body = self.proposal.to_json()
        body["review"] = [r.to_json() for r in self.review]
        body["pages"] = len(self.scans.pages)
        body["ocr_confidence"] = self.ocr.confidence
        body["scan_sha256"] = list(self.scans.scan_sha256)
        return body

    @property
    def review(self) -> list[ReviewEntry]:
        return [*self.notes, *self.proposal.review]


class DigitizeService:
    def __init__(self, backends: Backends, deposit: DepositService) -> None:
        self.b = backends
        self.deposit = deposit
        settings = backends.settings
        self.limits = ScanLimits(
            max_bytes=settings.max_upload_bytes,
            max_pages=settings.digitize_max_pages,
            max_page_pixels=int(settings.digitize_max_page_mpixels * 1_000_000),
        )
        self.review_below = settings.digitize_review_below
        self.pdfa = PdfaChecker.from_settings(settings)
        self._signing = SigningConfig.from_settings(settings)
        self._signer: AgencySigner | None = None
        self._lock = threading.Lock()
        self._ocr_checked = False

    # -- the parts ----------------------------------------------------------------------

    def check_signing(self) -> None:
        """SigningNotConfigured naming the missing setting, unless a key is configured."""
        self._signing.check()

    def signer(self) -> AgencySigner:
        with self._lock:
            if self._signer is None:
                self._signer = AgencySigner(self._signing)
            return self._signer

    def read(self, scans: Sequence[Scan]) -> ScanSet:
        return read_scans(scans, self.limits)

    def propose(self, scans: Sequence[Scan] | ScanSet, *, ocr_jobs: int = 1) -> Proposed:
        """OCR the scans and propose their metadata; deposits nothing, needs no key."""
        scan_set = scans if isinstance(scans, ScanSet) else self.read(scans)
        settings = self.b.settings
        if not self._ocr_checked:
            check_ocr_available(settings.ocr_language)
            self._ocr_checked = True
        ocr = run_ocr(
            scan_set.image_pdf(),
            len(scan_set.pages),
            OcrOptions(
                language=settings.ocr_language,
                page_timeout_s=settings.ocr_page_timeout_s,
                timeout_s=settings.ocr_timeout_s,
                jobs=ocr_jobs,
                max_page_mpixels=settings.digitize_max_page_mpixels,
            ),
        )
        blank = [p.number for p in scan_set.pages if p.blank]
        proposal = propose(ocr.pages, review_below=self.review_below, blank_pages=blank)
        notes = [
            ReviewEntry(p.number, None, f"độ phân giải {p.dpi:.0f} dpi, dưới {MIN_DPI:.0f} dpi")
            for p in scan_set.pages
            if p.dpi is not None and p.dpi < MIN_DPI - 1
        ]
        notes += [
            ReviewEntry(p.number, None, f"tệp không ghi độ phân giải: coi là {MIN_DPI:.0f} dpi")
            for p in scan_set.pages
            if p.dpi is None
        ]
        try:
            codes = read_qr((p.number, image) for p, image in scan_set.images())
        except QrUnavailable as exc:
            notes.append(ReviewEntry(None, None, f"không đọc được mã QR: {exc}"))
            codes = []
        return Proposed(scan_set, ocr, merge_qr(proposal, codes), notes)

    # -- the whole ----------------------------------------------------------------------

    def digitize(
        self,
        scans: Sequence[Scan],
        metadata: dict[str, Any] | None,
        access: Access,
        *,
        accept_proposals: bool = False,
        ocr_jobs: int = 1,
    ) -> DigitizeOutcome:
        """Digitize one result and deposit the signed copy (see the module docstring).

        `metadata` is what the officer confirmed (a complete deposit metadata object) or a
        partial one (a batch row); its gaps are filled from the proposals only with
        `accept_proposals`, else NeedsReview lists what to confirm.
        """
        scan_set = self.read(scans)
        confirmed = dict(metadata or {})
        known = self._known(scan_set, confirmed, access)
        if known is not None:
            return known
        signer = self.signer()  # a missing key fails before the costly OCR
        proposed = self.propose(scan_set, ocr_jobs=ocr_jobs)
        # What the officer confirmed is settled; what the scans say otherwise is not.
        review = [r for r in proposed.review if r.field is None or r.field not in confirmed]
        review += _disagreements(proposed.proposal, confirmed)
        meta, source = self._metadata(proposed, confirmed, review, accept_proposals)
        if "result_code" not in confirmed:  # known only now: the identity check again
            known = self._known(scan_set, meta.model_dump(mode="json", exclude_none=True), access)
            if known is not None:
                return known

        signed = signer.sign(proposed.ocr.pdf)
        before, after = self.pdfa.check_all([proposed.ocr.pdf, signed])
        if not before.conforms:
            raise PdfaFailed("OCR made no PDF/A-2b: " + "; ".join(before.failures[:3]))
        if not after.conforms:
            raise PdfaFailed("the signed copy is not PDF/A-2b: " + "; ".join(after.failures[:3]))

        for scan in scan_set.files:  # durable before the claim makes the record visible
            self.b.packages.put_original(scan.sha256, scan.data)
        info = DigitizationInfo(
            scan_sha256=scan_set.scan_sha256,
            scans=tuple(
                ScanInfo(
                    sha256=s.sha256,
                    filename=_name(s.filename),
                    media_type=s.media_type,
                    size=s.size,
                )
                for s in scan_set.files
            ),
            pages=len(scan_set.pages),
            ocr_confidence=proposed.ocr.confidence,
            signed_by=signer.signed_by,
            signature_profile=signer.profile,
            pdfa_validator=after.validator,
            metadata_source=source,
            review=tuple(ReviewNote(page=r.page, field=r.field, reason=r.reason) for r in review),
        )
        filename = f"{PurePath(_name(scan_set.files[0].filename)).stem or 'so-hoa'}.pdf"
        outcome = self.deposit.deposit(signed, filename, meta, access, digitization=info)
        self._remember(scan_set, outcome)
        return DigitizeOutcome(
            outcome.outcome, outcome.record, outcome.indexed, outcome.warnings, tuple(review)
        )

    def close(self) -> None:
        with self._lock:
            if self._signer is not None:
                self._signer.close()
                self._signer = None

    # -- identity -----------------------------------------------------------------------

    def _ref_key(self, scan_set: ScanSet) -> str:
        key = scan_set.key
        return f"{_REF_PREFIX}{key[:2]}/{key}.json"

    def _remember(self, scan_set: ScanSet, outcome: DepositOutcome) -> None:
        """Which record these scans became: lets a rerun that has no result code yet (a
        batch accepting proposals) answer `existing` without OCR. Rebuildable, never
        trusted alone: the claim decides."""
        record = outcome.record
        ref = {k: record[k] for k in ("issuer_code", "result_code", "record_id")}
        self.b.store.put(self._ref_key(scan_set), json.dumps(ref).encode("utf-8"))

    def _known(
        self, scan_set: ScanSet, meta: dict[str, Any], access: Access
    ) -> DigitizeOutcome | None:
        issuer, result_code = meta.get("issuer_code"), meta.get("result_code")
        ref = self._ref(scan_set)
        if isinstance(issuer, str) and isinstance(result_code, str):
            if ref is not None and (ref[0], ref[1]) != (issuer, result_code):
                self._refuse_duplicate(ref, meta)
        else:
            if ref is None or ("issuer_code" in meta and meta["issuer_code"] != ref[0]):
                return None
            issuer, result_code = ref[0], ref[1]
        claim = self.b.packages.find_claim(issuer, result_code)
        if claim is None:
            return None
        held = self.b.packages.latest_manifest(claim.record_id).digitization
        if held is not None and held.scan_sha256 == scan_set.scan_sha256:
            existing = self.deposit.existing(claim.record_id, access)
            review = tuple(ReviewEntry(r.page, r.field, r.reason) for r in held.review)
            return DigitizeOutcome(
                "existing", existing.record, existing.indexed, existing.warnings, review
            )
        if meta.get("supersedes") != claim.record_id and "result_code" in meta:
            raise Conflict(
                f"{issuer} already deposited result {result_code} from other scans or "
                f"another file (record {claim.record_id}); to replace it, digitize with "
                f"supersedes={claim.record_id}",
                record_id=claim.record_id,
            )
        return None

    def _ref(self, scan_set: ScanSet) -> tuple[str, str, str] | None:
        try:
            ref = json.loads(self.b.store.get(self._ref_key(scan_set)))
        except (ObjectNotFound, ValueError):
            return None
        fields = (ref.get("issuer_code"), ref.get("result_code"), ref.get("record_id"))
        if not all(isinstance(f, str) for f in fields):
            return None
        return fields[0], fields[1], fields[2]

    def _refuse_duplicate(self, ref: tuple[str, str, str], meta: dict[str, Any]) -> None:
        """The same scans under another key: refused while that record still holds them
        (CONTRACT.md's duplicate-content, judged by the scans), unless superseding it."""
        claim = self.b.packages.find_claim(ref[0], ref[1])
        if claim is None or claim.record_id != ref[2] or meta.get("supersedes") == ref[2]:
            return
        raise DuplicateScans(
            f"these scans are already archived as {ref[0]} result {ref[1]} "
            f"(record {ref[2]})",
            record_id=ref[2],
        )

    # -- metadata -----------------------------------------------------------------------

    def _metadata(
        self,
        proposed: Proposed,
        confirmed: dict[str, Any],
        review: list[ReviewEntry],
        accept: bool,
    ) -> tuple[DepositMetadata, str]:
        values = dict(confirmed)
        source = "confirmed"
        if accept:
            for name, value in proposed.proposal.values().items():
                if name not in values:
                    values[name] = value
                    source = "proposed"
        missing = [n for n in _REQUIRED if n not in values]
        if missing:
            raise NeedsReview(
                "cần xác nhận trước khi nộp lưu (needs review): "
                f"missing {', '.join(missing)}; confirm the proposals with --metadata, "
                "or accept them with --accept-proposals",
                review=[r.to_json() for r in review],
                proposal=proposed.to_json()["fields"],
            )
        try:
            return self.deposit.check_metadata(values), source
        except InvalidMetadata as exc:
            if source == "proposed":
                raise NeedsReview(
                    f"the proposed metadata is not valid ({exc.detail}); "
                    "confirm it with --metadata",
                    review=[r.to_json() for r in review],
                    proposal=proposed.to_json()["fields"],
                ) from None
            raise


def _name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(c for c in name if c.isprintable())[:200] or "scan"


def _disagreements(proposal: Proposal, confirmed: dict[str, Any]) -> list[ReviewEntry]:
    """Where the officer's metadata says something else than the text or the QR code."""
    found: list[ReviewEntry] = []
    for name, proposed in proposal.fields.items():
        if name not in confirmed or name in ("subjects", "issuer_code"):
            continue
        if fold(str(confirmed[name]).strip()) != fold(str(proposed.value).strip()):
            found.append(
                ReviewEntry(
                    proposed.page,
                    name,
                    f"{'mã QR' if proposed.source == 'qr' else 'văn bản'} ghi {proposed.value!r}, "
                    f"siêu dữ liệu ghi {confirmed[name]!r}",
                )
            )
    subjects = confirmed.get("subjects")
    text_ids = (
        {s["id"] for s in proposal.fields["subjects"].value}
        if "subjects" in proposal.fields
        else set()
    )
    if isinstance(subjects, list):
        for subject in subjects:
            if isinstance(subject, dict) and subject.get("id") not in text_ids:
                found.append(
                    ReviewEntry(
                        None,
                        "subjects",
                        f"số định danh {subject.get('id')} không đọc được trong bản quét",
                    )
                )
    return found
