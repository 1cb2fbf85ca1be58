"""pyHanko's own plain verdict on each corpus file, for comparison beside DSS's and Kho's.

For every signature (document timestamps aside) this runs pyHanko's
`validate_pdf_signature` offline, with the file's trust anchors and at the corpus's
validation time, and keeps its bottom line. The class of a signature is TOTAL-PASSED when
the bottom line holds; TOTAL-FAILED when the digest or the signature value is wrong, the
signature does not cover its revision or a DocMDP rule was broken (or pyHanko raised a
validation error marked as a failure); INDETERMINATE otherwise. A file's class is its worst
signature, NO_SIGNATURE, UNREADABLE when pyHanko cannot open it, or ERROR when validation
raised something else (recorded with its type).

    python tools/dss-validator/pyhanko_verdicts.py CORPUS-DIR VALIDATION-TIME  > out.json
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

ORDER = ["TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"]


def anchors(corpus: Path, trust: str | None) -> list[x509.Certificate]:
    if trust is None:
        return []
    data = (corpus / "trust" / f"{trust}.pem").read_bytes()
    return [x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]


def signature_class(status: Any) -> str:
    if status.bottom_line:
        return "TOTAL-PASSED"
    if (
        not status.intact
        or not status.valid
        or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION
        or status.docmdp_ok is False
    ):
        return "TOTAL-FAILED"
    return "INDETERMINATE"


def verdict(path: Path, roots: list[x509.Certificate], moment: datetime) -> dict[str, Any]:
    try:
        reader = PdfFileReader(BytesIO(path.read_bytes()), strict=False)
        if reader.encrypted:
            reader.decrypt("")
        embedded = list(reader.embedded_regular_signatures)
    except Exception as error:
        return {"class": "UNREADABLE", "error": f"{type(error).__name__}: {error}"[:300]}
    signatures: list[dict[str, Any]] = []
    for signature in embedded:
        context = ValidationContext(
            trust_roots=roots, moment=moment, allow_fetching=False, revocation_mode="soft-fail"
        )
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context)
            signatures.append(
                {
                    "field": signature.field_name,
                    "bottom_line": status.bottom_line,
                    "intact": status.intact,
                    "valid": status.valid,
                    "trusted": status.trusted,
                    "coverage": status.coverage.name if status.coverage else None,
                    "docmdp_ok": status.docmdp_ok,
                    "class": signature_class(status),
                }
            )
        except SignatureValidationError as error:
            indic = getattr(getattr(error, "ades_subindication", None), "status", None)
            failed = indic is None or indic.name == "FAILED"
            signatures.append(
                {
                    "field": signature.field_name,
                    "error": f"{type(error).__name__}: {error}"[:300],
                    "class": "TOTAL-FAILED" if failed else "INDETERMINATE",
                }
            )
        except Exception as error:
            signatures.append(
                {
                    "field": signature.field_name,
                    "error": f"{type(error).__name__}: {error}"[:300],
                    "class": "ERROR",
                }
            )
    if not signatures:
        return {"class": "NO_SIGNATURE", "signatures": []}
    classes = [s["class"] for s in signatures]
    overall = "ERROR" if "ERROR" in classes else max(classes, key=ORDER.index)
    return {"class": overall, "signatures": signatures}


def main() -> None:
    logging.disable(logging.CRITICAL)  # pyHanko logs tracebacks for the broken fixtures
    corpus, moment = Path(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
    sources = json.loads((corpus / "SOURCES.json").read_text(encoding="utf-8"))
    out = {
        entry["file"]: verdict(corpus / entry["file"], anchors(corpus, entry["trust"]), moment)
        for entry in sources["files"]
    }
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
