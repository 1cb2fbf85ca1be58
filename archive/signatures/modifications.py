"""What happened to a PDF after a signature: how much of the file the signature covers,
and whether later incremental updates are permitted, and what the validation policy
makes of those that are not (its `modifications` levels)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import ModificationInfo, SignatureCoverageLevel

from .policy import ValidationPolicy
from .status import Coverage

__all__ = ["ModificationCheck", "check_modifications"]

logger = logging.getLogger(__name__)

_COVERAGE = {
    SignatureCoverageLevel.ENTIRE_FILE: Coverage.ENTIRE_FILE,
    SignatureCoverageLevel.ENTIRE_REVISION: Coverage.ENTIRE_REVISION,
}


@dataclass(frozen=True)
class ModificationCheck:
    """Coverage and later changes of one signature. `problem` names the policy rule a
    change breaks (`docmdp_violation`, `page_difference`, `undefined_changes`) and
    `level` the policy's level for it (FAIL, INDETERMINATE or WARN)."""

    coverage: Coverage
    modification_level: str | None
    modified_after_signing: bool
    problem: str | None = None
    level: str | None = None


def _page_count(embedded: EmbeddedPdfSignature, revision: int | None) -> int | None:
    try:
        reader = embedded.reader
        root = reader.root if revision is None else reader.get_historical_root(revision)
        return int(root["/Pages"].get_object()["/Count"])
    except Exception:  # a damaged page tree: no count to compare
        return None


def check_modifications(
    embedded: EmbeddedPdfSignature, policy: ValidationPolicy
) -> ModificationCheck:
    """Coverage (pyHanko) and pyHanko's difference analysis of the later revisions, judged
    by the policy: a certification signature's DocMDP (or a field lock) broken (ISO 32000-2
    § 12.8.2.2), pages added or removed, or changes the analysis cannot explain."""
    analysed = True
    try:
        embedded.compute_integrity_info(diff_policy=DEFAULT_DIFF_POLICY)  # type: ignore[no-untyped-call]
    except Exception:  # the later revisions cannot be followed: their changes are unknown
        logger.debug("difference analysis failed", exc_info=True)
        embedded.compute_integrity_info(skip_diff=True)  # type: ignore[no-untyped-call]
        analysed = False
    integrity = embedded.summarise_integrity_info()
    coverage = _COVERAGE.get(integrity["coverage"], Coverage.PARTIAL)
    level = (
        ModificationInfo(
            coverage=integrity["coverage"], diff_result=integrity["diff_result"]
        ).modification_level
        if analysed
        else None
    )
    modified = coverage is not Coverage.ENTIRE_FILE and level not in (
        ModificationLevel.NONE,
        ModificationLevel.LTA_UPDATES,
    )
    name = None if level is None else level.name
    if coverage is not Coverage.ENTIRE_REVISION or not modified:
        return ModificationCheck(coverage, name, modified)
    locked = embedded.docmdp_level is not None or embedded.fieldmdp is not None
    problem: str | None = None
    if locked and integrity.get("docmdp_ok") is False:
        problem = "docmdp_violation"
    elif _page_count(embedded, embedded.signed_revision) != _page_count(embedded, None):
        problem = "page_difference"
    elif level is None or integrity.get("docmdp_ok") is False:
        problem = "undefined_changes"
    if problem is None:
        return ModificationCheck(coverage, name, modified)
    return ModificationCheck(coverage, name, modified, problem, policy.modification_level(problem))
