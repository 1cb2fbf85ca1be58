"""The identity of a deposit's contents: the same result again is `existing`, other bytes
under its (issuer_code, result_code) are a conflict (unless they supersede it), and one
signed result is one record: the same bytes are never archived under two result codes.

A result code's claim (archive/package.py) names the record and the sha256 it holds;
`identify` judges a deposit against it before any costly step, and `claim` makes a new
record visible by writing it (create-only, so of two racing deposits one wins).

The object store keeps, per sha256, a content claim naming the (issuer_code, result_code)
those bytes were deposited under (archive/package.py). A deposit takes it, create-only,
just before its own claim makes the record visible, so of two deposits of the same bytes
under different codes exactly one gets through, whichever process or machine they run on.

A content claim names a result code rather than a record, and counts only while a claim of
that code (any generation, so a superseded record too) holds those bytes. One that does not
belongs to a deposit still under way, or to one that crashed or lost its own race: it is
honoured (409, try again) while young, and taken over with the next generation once it is
older than an abandoned deposit. A deposit that fails after taking it writes a release, so
nobody has to wait. Archives from before content claims get theirs from `kho reindex`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from kho.archive.digitized import DigitizationInfo
from kho.archive.errors import ObjectExists
from kho.archive.package import Claim, ContentClaim, Written
from kho.archive.record import DepositMetadata
from kho.services.base import Backends
from kho.services.errors import Conflict, DuplicateContent

__all__ = ["Backfill", "Claimed", "ContentClaims", "Identity"]

_ATTEMPTS = 10


@dataclass(frozen=True)
class Backfill:
    """What `kho reindex` did for records deposited before content claims existed."""

    added: int
    # Pairs archived before the rule: (record_id, record_id of the earlier holder).
    duplicates: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Identity:
    """What the archive holds under a deposit's (issuer_code, result_code)."""

    current: Claim | None  # the claim of that result code, if it was deposited before
    existing: str | None = None  # the record holding these very contents: the deposit is done


@dataclass(frozen=True)
class Claimed:
    """A deposit made visible (`claim_file`: the claim as written, for the audit event), or
    the record of the same contents another deposit made visible first (`held_by`: the
    deposit is `existing`)."""

    claim_file: Written | None
    held_by: str | None = None


class ContentClaims:
    def __init__(self, backends: Backends) -> None:
        self.b = backends

    def same_content(
        self, claim: Claim, sha256: str, digitization: DigitizationInfo | None = None
    ) -> bool:
        """The same result again: the same bytes, or for a digitized copy the same scans
        (the signed copy differs on every run; the scans do not)."""
        if claim.sha256 == sha256:
            return True
        if digitization is None:
            return False
        held = self.b.packages.latest_manifest(claim.record_id).digitization
        return held is not None and held.scan_sha256 == digitization.scan_sha256

    def identify(
        self, meta: DepositMetadata, sha256: str, digitization: DigitizationInfo | None = None
    ) -> Identity:
        """Whether these contents are already the result `meta` names (`existing`); a
        Conflict if that result holds other contents and the deposit does not supersede it."""
        current = self.b.packages.find_claim(meta.issuer_code, meta.result_code)
        if current is None:
            return Identity(None)
        if self.same_content(current, sha256, digitization):
            return Identity(current, existing=current.record_id)
        if meta.supersedes != current.record_id:
            raise Conflict(
                f"{meta.issuer_code} already deposited result {meta.result_code} with "
                f"different content (record {current.record_id}); to replace it, "
                f"deposit with supersedes={current.record_id}",
                record_id=current.record_id,
            )
        return Identity(current)

    def claim(
        self,
        meta: DepositMetadata,
        sha256: str,
        record_id: str,
        identity: Identity,
        digitization: DigitizationInfo | None = None,
    ) -> Claimed:
        """Make the deposited record visible: take the content claim, then write the claim
        of its result code (the next generation when it replaces one). A Conflict (or
        DuplicateContent) when another deposit took either with other contents first."""
        generation = 1
        if identity.current is not None:
            generation = self.b.packages.claim_generation(meta.issuer_code, meta.result_code) + 1
        taken = self.take(sha256, meta, record_id)
        try:
            written = self.b.packages.write_claim(
                Claim(meta.issuer_code, meta.result_code, record_id, sha256),
                generation=generation,
            )
        except ObjectExists:
            # Another deposit of the same result code won the race.
            winner = self.b.packages.find_claim(meta.issuer_code, meta.result_code)
            if winner is not None and self.same_content(winner, sha256, digitization):
                return Claimed(None, held_by=winner.record_id)
            self.release(taken)
            raise Conflict(
                f"{meta.issuer_code} result {meta.result_code} was deposited meanwhile "
                "with different content",
                record_id=winner.record_id if winner else None,
            ) from None
        return Claimed(written)

    def _holder(self, claim: ContentClaim) -> str | None:
        """The visible record that holds the claimed bytes under the claimed code."""
        if claim.released or claim.issuer_code is None or claim.result_code is None:
            return None
        held = self.b.packages.claim_holding(claim.issuer_code, claim.result_code, claim.sha256)
        return held.record_id if held else None

    def _refuse(self, claim: ContentClaim, issuer_code: str, result_code: str) -> None:
        """Raise unless a deposit under (issuer_code, result_code) may take these bytes past
        `claim` (returns when it is the same code, released, or abandoned)."""
        if claim.released or (claim.issuer_code, claim.result_code) == (issuer_code, result_code):
            return
        holder = self._holder(claim)
        if holder is not None:
            raise DuplicateContent(
                f"these exact bytes are already archived as result {claim.result_code} of "
                f"{claim.issuer_code} (record {holder}); one signed result is one record",
                record_id=holder,
            )
        if not self.b.packages.abandoned(claim.at, self.b.now()):
            raise Conflict(
                f"these exact bytes are being deposited meanwhile as result {claim.result_code} "
                f"of {claim.issuer_code}; try again shortly"
            )

    def check(self, sha256: str, meta: DepositMetadata) -> None:
        """Refuse early (before the costly steps) bytes another result code holds."""
        claim = self.b.packages.content_claim(sha256)
        if claim is not None:
            self._refuse(claim, meta.issuer_code, meta.result_code)

    def take(self, sha256: str, meta: DepositMetadata, record_id: str) -> ContentClaim | None:
        """Take the content claim for this deposit; returns what to `release` if the deposit
        then fails (None: the claim was this result code's already). Raises DuplicateContent
        or Conflict as `check` does."""
        for _attempt in range(_ATTEMPTS):
            current = self.b.packages.content_claim(sha256)
            if current is not None:
                self._refuse(current, meta.issuer_code, meta.result_code)
                if not current.released and (current.issuer_code, current.result_code) == (
                    meta.issuer_code,
                    meta.result_code,
                ):
                    return None
            claim = ContentClaim(
                sha256=sha256,
                issuer_code=meta.issuer_code,
                result_code=meta.result_code,
                record_id=record_id,
                at=self.b.now(),
                generation=(current.generation + 1) if current else 1,
            )
            try:
                self.b.packages.write_content_claim(claim)
            except ObjectExists:
                continue  # another deposit of these bytes took it first: judge theirs
            return claim
        raise Conflict("these exact bytes are being deposited by others meanwhile; try again")

    def release(self, taken: ContentClaim | None) -> None:
        """Give the claim up after the deposit failed, so others need not wait for it to age
        (best effort: if another generation came first, there is nothing of ours to free)."""
        if taken is None:
            return
        current = self.b.packages.content_claim(taken.sha256)
        if current is None or current.generation != taken.generation or self._holder(current):
            return  # not ours any more, or the result code holds the bytes after all
        release = ContentClaim(
            sha256=taken.sha256,
            issuer_code=None,
            result_code=None,
            record_id=None,
            at=self.b.now(),
            generation=taken.generation + 1,
            released=True,
        )
        with contextlib.suppress(ObjectExists):
            self.b.packages.write_content_claim(release)

    def backfill(self) -> Backfill:
        """Give every record that has none its content claim (archives from before content
        claims), the earliest deposit of the same bytes first; report the duplicates the
        archive already held, which stay as they are."""
        added = 0
        duplicates: list[tuple[str, str]] = []
        # ULIDs sort by time: the earliest deposit of the same bytes keeps them.
        for claim in sorted(self.b.packages.claims(), key=lambda c: c.record_id):
            for _attempt in range(_ATTEMPTS):
                current = self.b.packages.content_claim(claim.sha256)
                if current is not None and not current.released:
                    if (current.issuer_code, current.result_code) == (
                        claim.issuer_code,
                        claim.result_code,
                    ):
                        break
                    holder = self._holder(current)
                    if holder is not None:
                        duplicates.append((claim.record_id, holder))
                        # Both keep the one file: disposal must not delete it under either.
                        self.b.packages.mark_shared(claim.sha256, claim.record_id)
                        self.b.packages.mark_shared(claim.sha256, holder)
                        break
                    if not self.b.packages.abandoned(current.at, self.b.now()):
                        break  # a deposit under way: it will hold the bytes
                try:
                    self.b.packages.write_content_claim(
                        ContentClaim(
                            sha256=claim.sha256,
                            issuer_code=claim.issuer_code,
                            result_code=claim.result_code,
                            record_id=claim.record_id,
                            at=self.b.now(),
                            generation=(current.generation + 1) if current else 1,
                        )
                    )
                except ObjectExists:
                    continue
                added += 1
                break
        return Backfill(added=added, duplicates=tuple(duplicates))
