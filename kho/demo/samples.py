"""The demo archive: realistic Vietnamese results, signed by the test PKI, deposited through
the same services as real deposits (so the demo exercises the real pipeline).

The results are data (samples.json): names, ID numbers and codes are invented; procedure
codes follow the national database's form but are examples. Dates are days before today,
so the demo's valid, expired, revoked and superseded results stay so whenever it is run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from kho.demo.documents import ResultDocument, render_pdf
from kho.demo.pki import TestPKI
from kho.services import Access, Services

__all__ = ["DEMO_AGENCY", "SAMPLES", "Sample", "build_demo", "samples"]

DEMO_AGENCY = "000.00.15.H62"


@dataclass(frozen=True)
class Sample:
    key: str
    metadata: dict[str, Any]
    document: ResultDocument
    signer: str = "agency"
    timestamp: bool = True
    revoke_reason: str | None = None
    supersedes: str | None = None  # the key of the sample this one replaces
    extra: dict[str, Any] = field(default_factory=dict)


SAMPLES: Final = Path(__file__).with_name("samples.json")


def _result(entry: dict[str, Any], today: date, common: dict[str, Any]) -> Sample:
    """One sample from its entry in samples.json, dated relative to `today`."""
    issued = today - timedelta(days=int(entry["days_ago"]))
    seq = int(entry["seq"])
    dossier = f"{entry['issuer_code']}-{issued:%y%m%d}-{seq:04d}"
    meta: dict[str, Any] = {
        "issuer_code": entry["issuer_code"],
        "result_code": f"{dossier}-KQ1",
        "dossier_code": dossier,
        "procedure_code": entry["procedure_code"],
        "procedure_name": entry["procedure_name"],
        "result_type": entry["result_type"],
        "subjects": entry["subjects"],
        "issued_on": issued.isoformat(),
        "source_system": common["source_system"],
    }
    if "valid_days" in entry:
        meta["valid_until"] = (issued + timedelta(days=int(entry["valid_days"]))).isoformat()
    if "validity_scope" in entry:
        meta["validity_scope"] = entry["validity_scope"]
    document = entry["document"]
    return Sample(
        key=entry["key"],
        metadata=meta,
        document=ResultDocument(
            authority=document["authority"],
            title=document["title"],
            notation=f"Số: {seq}/{issued.year}",
            facts=[(label, value) for label, value in document["facts"]],
            place=common["place"],
            issued_on=issued,
            signer_title=document["signer_title"],
            signer_name=document["signer_name"],
            body=document.get("body", ""),
        ),
        signer=entry.get("signer", "agency"),
        timestamp=entry.get("timestamp", True),
        revoke_reason=entry.get("revoke_reason"),
        supersedes=entry.get("supersedes"),
    )


def samples(today: date) -> list[Sample]:
    """The demo's results, oldest first (kho/demo/samples.json, dated from `today`)."""
    data = json.loads(SAMPLES.read_text(encoding="utf-8"))
    return [_result(entry, today, data) for entry in data["results"]]


def build_demo(
    services: Services,
    pki: TestPKI,
    work: Path,
    progress: Callable[[int, int | None], None] | None = None,
) -> dict[str, str]:
    """Deposit the demo's results (idempotently: the signed PDFs are kept in `work`, so a
    second run finds every result already archived). Returns sample key → record_id."""
    today = services.today()
    access = Access.system()
    work.mkdir(parents=True, exist_ok=True)
    record_ids: dict[str, str] = {}
    items = samples(today)
    for i, sample in enumerate(items, 1):
        pdf_path = work / f"{sample.key}.pdf"
        if pdf_path.is_file():
            signed = pdf_path.read_bytes()
        else:
            signed = pki.sign_pdf(
                render_pdf(sample.document), sample.signer, timestamp=sample.timestamp
            )
            pdf_path.write_bytes(signed)
        metadata = dict(sample.metadata)
        if sample.supersedes:
            metadata["supersedes"] = record_ids[sample.supersedes]
        outcome = services.deposit.deposit(signed, pdf_path.name, metadata, access)
        record_id = outcome.record["record_id"]
        record_ids[sample.key] = record_id
        if sample.revoke_reason and outcome.record.get("status") != "revoked":
            services.lifecycle.revoke(record_id, sample.revoke_reason, access)
        if progress:
            progress(i, len(items))
    return record_ids
