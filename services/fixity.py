"""Fixity: re-hash every file of every archival package and compare it with what was audited.

A package is more than its original: its manifests say whose result it is and until when it
is valid, and rewriting one (a subject id, `valid_until`, a revocation removed) changes what
every agency is told. So fixity reads every file of each record — the original, every
manifest version, the extracted text, every validation report, the claim — and compares
each with the SHA-256 that the audit event of the change recorded when the file was written
(`detail.files` of the deposit, revoke, supersede and revalidate events). A file that
differs, is missing, or was never audited (a manifest version planted beside the real ones)
is a mismatch naming the record and the file. The original is also checked against its own
name, which is its hash.

Why here and not in `kho audit verify`: fixity is the command that reads the packages; the
audit verification vouches for the trail the hashes come from (its chain and its signed
checkpoints, archive/audit/checkpoint.py). Someone who rewrote a manifest and the audit
event together, recomputing the chain, passes fixity but fails the audit verification; run
both (the server's operators schedule both).

Packages deposited before the hashes were audited cannot be compared: they are reported as
`unaudited` (their originals are still checked against their names), never as corrupt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from kho.archive.errors import ObjectNotFound
from kho.archive.package import Claim, Packages
from kho.archive.store import ObjectStore
from kho.services.access import Access
from kho.services.audit import AuditService
from kho.services.base import Backends

__all__ = ["FixityReport", "FixityService", "describe"]

# Actions whose events carry `detail.files`; a line without the marker is skipped unparsed.
_MARKER = b'"files":{'
_WORKERS = 4  # files are read in parallel: on MinIO each read is a round trip
_IN_FLIGHT = 64


@dataclass
class FixityReport:
    checked: int = 0  # records
    files: int = 0
    bytes: int = 0
    mismatches: list[dict[str, str]] = field(default_factory=list)
    unaudited: list[str] = field(default_factory=list)  # records without audited hashes

    @property
    def ok(self) -> bool:
        return not self.mismatches


@dataclass
class _Audited:
    """What the audit trail says each package file hashed to when it was written."""

    files: dict[str, dict[str, str]] = field(default_factory=dict)  # record -> key -> sha
    complete: set[str] = field(default_factory=set)  # deposit event listed every file
    removed: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, lines: Iterator[bytes]) -> _Audited:
        audited = cls()
        for line in lines:
            if _MARKER not in line and b'"removed_files":' not in line:
                continue
            try:
                event = json.loads(line)
                detail = event["detail"]
                records = event["record_ids"]
            except (ValueError, KeyError, TypeError):
                continue  # `kho audit verify` names a damaged line; fixity needs hashes
            files = detail.get("files") if isinstance(detail, dict) else None
            if isinstance(files, dict):
                for key, sha in files.items():
                    owner = _owner(str(key)) or (str(records[0]) if records else None)
                    if owner is not None:
                        audited.files.setdefault(owner, {})[str(key)] = str(sha)
                if event.get("action") == "deposit" and event.get("outcome") == "created":
                    audited.complete.update(str(r) for r in records[:1])
            # A later disposal names the files it removed on purpose (retention).
            removed = detail.get("removed_files") if isinstance(detail, dict) else None
            if isinstance(removed, list):
                audited.removed.update(str(k) for k in removed)
        return audited


def _owner(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "records" else None


def _sha_of(store: ObjectStore, key: str, stream: bool) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    chunks = store.stream(key) if stream else iter((store.get(key),))
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class _Outcome:
    record_id: str
    files: int = 0
    bytes: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    unaudited: bool = False


class FixityService:
    def __init__(self, backends: Backends, audit: AuditService) -> None:
        self.b = backends
        self.audit = audit

    def run(
        self, access: Access, progress: Callable[[int, int | None], None] | None = None
    ) -> FixityReport:
        packages = self.b.packages
        claims: dict[str, list[tuple[str, str, Claim]]] = {}
        for key, data, claim in packages.claim_objects():
            claims.setdefault(claim.record_id, []).append(
                (key, hashlib.sha256(data).hexdigest(), claim)
            )
        total = len(claims)
        if progress:
            progress(0, total)
        self.audit.flush()
        audited = _Audited.read(self.b.trail.lines())
        report = FixityReport()
        with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="kho-fixity") as pool:
            pending: set[Future[_Outcome]] = set()

            def collect(done: set[Future[_Outcome]]) -> None:
                for future in done:
                    self._add(report, future.result())
                    if progress:
                        progress(report.checked, total)

            for record_id in sorted(claims):
                if len(pending) >= _IN_FLIGHT:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    collect(done)
                pending.add(
                    pool.submit(self._check, packages, record_id, claims[record_id], audited)
                )
            collect(set(pending))
        for record_id in sorted(audited.complete - set(claims)):
            expected = audited.files.get(record_id, {})
            gone = next((k for k in sorted(expected) if k.startswith("claims/")), "claims/")
            report.mismatches.append(
                {
                    "record_id": record_id,
                    "file": gone,
                    "problem": "missing since it was audited (the record is no longer visible)",
                }
            )
        report.mismatches.sort(key=lambda m: (m["record_id"], m["file"]))
        report.unaudited.sort()
        self.audit.record(
            "fixity",
            access,
            outcome="ok" if report.ok else "mismatch",
            record_ids=sorted({m["record_id"] for m in report.mismatches}),
            detail={
                "checked": report.checked,
                "files": report.files,
                "mismatches": len(report.mismatches),
                "unaudited": len(report.unaudited),
            },
        )
        return report

    @staticmethod
    def _add(report: FixityReport, outcome: _Outcome) -> None:
        report.checked += 1
        report.files += outcome.files
        report.bytes += outcome.bytes
        report.mismatches.extend(outcome.problems)
        if outcome.unaudited:
            report.unaudited.append(outcome.record_id)

    def _check(
        self,
        packages: Packages,
        record_id: str,
        claims: list[tuple[str, str, Claim]],
        audited: _Audited,
    ) -> _Outcome:
        store = self.b.store
        outcome = _Outcome(record_id)
        expected = dict(audited.files.get(record_id, {}))
        complete = record_id in audited.complete

        def problem(key: str, text: str, **extra: str) -> None:
            outcome.problems.append({"record_id": record_id, "file": key, "problem": text, **extra})

        present: dict[str, str] = {}

        def check_original(sha256: str, what: str) -> None:
            """An original (or a digitized record's scan) is named by its hash."""
            original = packages.original_key(sha256)
            if original in present:
                return
            try:
                actual, size = _sha_of(store, original, stream=True)
            except ObjectNotFound:
                if original not in audited.removed:
                    problem(original, f"{what} missing", sha256=sha256)
                present[original] = ""
                return
            outcome.bytes += size
            present[original] = actual
            if actual != sha256:
                problem(original, "hash mismatch", sha256=sha256)
            expected.pop(original, None)  # its name is its audited hash

        for key, sha, claim in claims:
            present[key] = sha
            check_original(claim.sha256, "original")
        for scan in self._scans(record_id):
            check_original(scan, "scan")
        for key in store.list(f"records/{record_id}/"):
            try:
                present[key], size = _sha_of(store, key, stream=False)
            except ObjectNotFound:
                continue  # removed while listing: the comparison below reports it
            outcome.bytes += size
        outcome.files = sum(1 for sha in present.values() if sha)
        for key, actual in present.items():
            if key.startswith("originals/"):
                continue
            want = expected.pop(key, None)
            if want is not None:
                if want != actual:
                    problem(key, "changed since it was audited (its SHA-256 differs)")
            elif complete:
                problem(key, "not in the audit trail (written without an audit event, or planted)")
            else:
                outcome.unaudited = True
        for key in sorted(set(expected) - audited.removed):
            problem(key, "missing since it was audited")
        return outcome

    def _scans(self, record_id: str) -> tuple[str, ...]:
        """A digitized record's scans are kept in its package like originals: checked too."""
        try:
            digitization = self.b.packages.latest_manifest(record_id).digitization
        except ObjectNotFound:
            return ()
        return digitization.scan_sha256 if digitization is not None else ()


def describe(report: FixityReport) -> Iterator[str]:
    """The report's findings as lines for a person (the CLI's stderr)."""
    for m in report.mismatches:
        yield f"kho: record {m['record_id']}: {m['file']}: {m['problem']}"
    if report.unaudited:
        yield (
            f"kho: {len(report.unaudited)} record(s) were deposited before their files' hashes "
            "were audited: only their originals could be checked"
        )
