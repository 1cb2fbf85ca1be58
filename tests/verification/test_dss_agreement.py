"""Kho's verdicts against EU DSS's on public signed PDFs made by others.

The corpus (tests/verification/corpus: EU DSS's and pyHanko's test fixtures, SOURCES.json)
comes with DSS's verdict on every file, recorded by running DSS itself offline
(tools/dss-validator/run → dss-verdicts.json) with the same trust anchors and validation
time as here. Kho must give the same verdict class on at least 90% of the files, and
every file where it does not is listed below with the reason Kho deliberately differs. A
difference not listed fails, and so does a listed one that has come to agree, so that the
list stays true.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kho.archive.signatures import TrustConfig
from kho.indexer.errors import UnreadableDocument
from kho.services.verify import check_pdf

CORPUS = Path(__file__).parent / "corpus"
RECORDED = json.loads((CORPUS / "dss-verdicts.json").read_text(encoding="utf-8"))
SOURCES = json.loads((CORPUS / "SOURCES.json").read_text(encoding="utf-8"))
VALIDATION_TIME = datetime.fromisoformat(RECORDED["validation_time"])
FILES = sorted(RECORDED["files"])
REQUIRED_AGREEMENT = 0.90

# file → (Kho's class, DSS's class, why Kho deliberately differs)
DIFFERENCES: dict[str, tuple[str, str, str]] = {
    "dss/BadEncodedCMS.pdf": (
        "INDETERMINATE",
        "NO_SIGNATURE",
        "DSS drops a signature whose CMS it cannot decode and calls the file unsigned. A "
        "filled signature field is not an unsigned document: Kho reports the signature "
        "(EN 319 102-1 § 5.2.2); its chain cannot be checked (its certificate's key does "
        "not fit the algorithms), so it is INDETERMINATE and never reusable.",
    ),
    "dss/DSS1376-rev_n.pdf": (
        "TOTAL-FAILED",
        "INDETERMINATE",
        "A certification signature (DocMDP P=2) followed by changes only an approval "
        "signature permits. ISO 32000-2 § 12.8.2.2: changes beyond the DocMDP permissions "
        "invalidate the certification signature; DSS's default policy only warns "
        "(DocMDP WARN). Kho's policy: modifications.docmdp_violation = FAIL.",
    ),
    "dss/pdf-double-signer-info.pdf": (
        "TOTAL-FAILED",
        "INDETERMINATE",
        "Two SignerInfos in one PDF signature. ISO 32000-1 § 12.8.3.3.1 and EN 319 142-1 "
        "§ 6.3 allow exactly one, so the signature fails format checking; DSS validates "
        "the first one only.",
    ),
    "pyhanko/coverage-anomalies-one-byterange.pdf": (
        "TOTAL-FAILED",
        "NO_SIGNATURE",
        "A /ByteRange of a single pair: DSS ignores the signature and calls the file "
        "unsigned. Kho reports the filled field, whose byte range does not exclude exactly "
        "its /Contents (ISO 32000-1 § 12.8.1): a format failure (EN 319 102-1 § 5.2.2).",
    ),
    "pyhanko/coverage-anomalies-tail-uncovered.pdf": (
        "TOTAL-FAILED",
        "TOTAL-PASSED",
        "The byte range stops short of the end of its revision. ISO 32000-1 § 12.8.1: the "
        "byte range shall cover the entire file but the signature value; uncovered bytes "
        "can change what is shown, so the signature does not vouch for this file.",
    ),
    "pyhanko/ed448-shake256-nolen.pdf": (
        "INDETERMINATE",
        "UNREADABLE",
        "DSS stops with an exception computing a SHAKE256 digest without an output length; "
        "Kho computes it (512 bits, RFC 8419 § 2.3) and gives a verdict: the certificates "
        "have expired with no proof of existence before (OUT_OF_BOUNDS_NO_POE).",
    ),
    "pyhanko/minimal-startxref-hopeless.pdf": (
        "UNREADABLE",
        "NO_SIGNATURE",
        "An unsigned file whose startxref points nowhere. DSS's PDF library rebuilds the "
        "structure and finds no signature; Kho does not guess at a damaged structure and "
        "reports unreadable input (exit 4, CONTRACT.md). It holds no signature dictionary, "
        "which would have made it TOTAL-FAILED instead.",
    ),
}


def trust_for(name: str | None) -> TrustConfig:
    if name is None:
        return TrustConfig()
    return TrustConfig.from_paths([CORPUS / "trust" / f"{name}.pem"])


@cache
def kho_class(file: str) -> str:
    """Kho's verdict class, through the service-level function `kho verify` uses."""
    entry = RECORDED["files"][file]
    data = (CORPUS / file).read_bytes()
    try:
        report = check_pdf(data, trust_for(entry["trust"]), now=VALIDATION_TIME)
    except UnreadableDocument:
        return "UNREADABLE"
    return "NO_SIGNATURE" if not report.signed else str(report.indication)


def dss_class(file: str) -> str:
    return str(RECORDED["files"][file]["dss"]["class"])


def test_the_corpus_is_what_sources_json_says() -> None:
    listed = {entry["file"]: entry for entry in SOURCES["files"]}
    present = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*.pdf")}
    assert set(listed) == present == set(FILES)
    assert len(present) >= 50
    for entry in listed.values():
        assert entry["repository"] in ("esig/dss", "MatthiasValvekens/pyHanko")
        assert entry["licence"] in SOURCES["licences"]
        assert len(entry["commit"]) == 40 and entry["path"] and entry["exercises"]
        assert entry["trust"] is None or entry["trust"] in SOURCES["trust"]
        assert entry["trust"] == RECORDED["files"][entry["file"]]["trust"]
        assert (CORPUS / entry["file"]).stat().st_size < 2 * 1024 * 1024


@pytest.mark.parametrize("file", FILES)
def test_same_class_as_dss_or_a_listed_reason(file: str) -> None:
    kho, dss = kho_class(file), dss_class(file)
    if file in DIFFERENCES:
        listed_kho, listed_dss, reason = DIFFERENCES[file]
        assert (kho, dss) == (listed_kho, listed_dss), (
            f"{file}: listed as Kho {listed_kho} vs DSS {listed_dss} ({reason}), "
            f"now Kho {kho} vs DSS {dss}: update the list"
        )
    else:
        assert kho == dss, f"{file}: Kho says {kho}, DSS says {dss}; fix or list it"


def test_agreement_with_dss_is_at_least_ninety_percent() -> None:
    same = [file for file in FILES if kho_class(file) == dss_class(file)]
    assert len(same) / len(FILES) >= REQUIRED_AGREEMENT, (len(same), len(FILES))
    # Every difference is explained, and nothing explained is absent from the corpus.
    assert set(FILES) - set(same) == set(DIFFERENCES)


def test_kho_agrees_with_dss_more_often_than_plain_pyhanko() -> None:
    def agreeing(verdict: Any) -> int:
        return sum(1 for file in FILES if verdict(file) == dss_class(file))

    plain = agreeing(lambda file: RECORDED["files"][file]["pyhanko"]["class"])
    assert agreeing(kho_class) > plain


def test_kho_verify_gives_a_verdict_on_a_spoofed_signature(kho: Any, tmp_path: Path) -> None:
    # Its last revision's /Encrypt is not a dictionary: this used to end in exit 70.
    (tmp_path / "spoofed.pdf").write_bytes((CORPUS / "dss/pdf-spoofing-attack.pdf").read_bytes())
    done = kho("verify", "spoofed.pdf")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert {s["subindication"] for s in report["signatures"]} == {"FORMAT_FAILURE"}


def test_a_weak_digest_without_proof_of_existence_is_indeterminate(
    kho: Any, tmp_path: Path
) -> None:
    (tmp_path / "sha1.pdf").write_bytes((CORPUS / "dss/pkcs7_sha1.pdf").read_bytes())
    done = kho("verify", "sha1.pdf", "--html", "sha1.html", env={"KHO_TRUST_ROOTS": None})
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert report["policy"]["name"] == "kho-default"
    weak = [s for s in report["signatures"] if s["constraint"]]
    assert weak and {s["subindication"] for s in weak} == {"CRYPTO_CONSTRAINTS_FAILURE_NO_POE"}
    assert weak[0]["constraint"] == {
        "kind": "digest_algorithm",
        "algorithm": "sha1",
        "key_size": None,
        "acceptable_until": "2013-12-31",
    }
    page = (tmp_path / "sha1.html").read_text(encoding="utf-8")
    assert "kho-default" in page and "Ràng buộc không đạt" in page and "2013-12-31" in page


def test_another_policy_file_changes_the_verdict(kho: Any, tmp_path: Path) -> None:
    policy = json.loads(
        (Path(__file__).parents[2] / "archive/signatures/policy.json").read_text(encoding="utf-8")
    )
    policy["name"] = "lenient-sha1"
    policy["digest_algorithms"]["sha1"] = None
    (tmp_path / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    (tmp_path / "sha1.pdf").write_bytes((CORPUS / "dss/pkcs7_sha1.pdf").read_bytes())
    done = kho("verify", "sha1.pdf", env={"KHO_VALIDATION_POLICY": "policy.json"})
    report = json.loads(done.stdout)
    assert report["policy"]["name"] == "lenient-sha1"
    assert all(
        s["constraint"] is None or s["constraint"]["algorithm"] != "sha1"
        for s in report["signatures"]
    )
    (tmp_path / "broken.json").write_text("{}", encoding="utf-8")
    done = kho("verify", "sha1.pdf", env={"KHO_VALIDATION_POLICY": "broken.json"})
    assert done.returncode == 78 and "KHO_VALIDATION_POLICY" in done.stderr
