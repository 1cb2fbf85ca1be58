"""`kho verify` as a user runs it: the human summary on a terminal, the HTML report, stdin,
and one-line errors for unreadable input and wrong trust settings."""

from __future__ import annotations

import json
import os
import pty
import subprocess
from pathlib import Path

from verification.cases import KHO, Kho, trust_env

from kho.demo.pki import TestPKI


def test_summary_on_a_terminal_is_vietnamese_then_english(
    pki: TestPKI, tmp_path: Path, case_pdfs: dict[str, bytes]
) -> None:
    (tmp_path / "two.pdf").write_bytes(case_pdfs["two_signatures"])
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [KHO, "verify", "two.pdf"],
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            env=trust_env(pki),
            cwd=tmp_path,
            timeout=120,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert result.returncode == 0
    summary = result.stderr.splitlines()
    assert summary[0].startswith("two.pdf: Hợp lệ (TOTAL-PASSED) — 2 chữ ký")
    english = next(i for i, line in enumerate(summary) if "Valid (TOTAL-PASSED)" in line)
    assert english == 3  # the verdict and both signatures in Vietnamese come first
    assert "UBND xã Tân Phong" in summary[1] and "Sở Tư pháp tỉnh Lai Châu" in summary[2]


def test_no_summary_when_stdout_is_not_a_terminal(
    kho: Kho, tmp_path: Path, case_pdfs: dict[str, bytes]
) -> None:
    (tmp_path / "a.pdf").write_bytes(case_pdfs["good"])
    result = kho("verify", "a.pdf")
    assert result.returncode == 0
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["file"] == "a.pdf" and report["indication"] == "TOTAL-PASSED"
    assert report["signatures"][0]["signer"]["common_name"] == "UBND xã Tân Phong"


def test_html_report_file(kho: Kho, tmp_path: Path, case_pdfs: dict[str, bytes]) -> None:
    (tmp_path / "expired.pdf").write_bytes(case_pdfs["expired"])
    result = kho("verify", "expired.pdf", "--html", "report.html")
    assert result.returncode == 2
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Chưa xác định được" in html and "OUT_OF_BOUNDS_NO_POE" in html
    assert "expired.pdf" in html and "<style>" in html  # self-contained, printable

    (tmp_path / "unsigned.pdf").write_bytes(case_pdfs["unsigned"])
    result = kho("verify", "unsigned.pdf", "--html", "unsigned.html")
    assert result.returncode == 3
    assert "Không có chữ ký số" in (tmp_path / "unsigned.html").read_text(encoding="utf-8")

    result = kho("verify", "unsigned.pdf", "--html", "no/such/folder/r.html")
    assert result.returncode == 73
    assert result.stderr.startswith("kho: cannot write") and len(result.stderr.splitlines()) == 1


def test_standard_input(pki: TestPKI, tmp_path: Path, case_pdfs: dict[str, bytes]) -> None:
    result = subprocess.run(
        [KHO, "verify", "-"],
        input=case_pdfs["tampered"],
        capture_output=True,
        env=trust_env(pki),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["subindication"] == "HASH_FAILURE"


def test_missing_or_unreadable_file_is_exit_4_in_one_line(kho: Kho, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    for name in ("missing.pdf", "folder"):
        result = kho("verify", name)
        assert result.returncode == 4, result.stderr
        assert result.stderr.startswith(f"kho: cannot read {name}")
        assert len(result.stderr.splitlines()) == 1


def test_wrong_trust_root_setting_is_exit_78(
    kho: Kho, tmp_path: Path, case_pdfs: dict[str, bytes]
) -> None:
    (tmp_path / "a.pdf").write_bytes(case_pdfs["good"])
    (tmp_path / "root.pem").write_text("not a certificate\n")
    for root in ("root.pem", "missing-root.pem"):
        result = kho("verify", "a.pdf", env={"KHO_TRUST_ROOTS": str(tmp_path / root)})
        assert result.returncode == 78, result.stderr
        assert result.stdout == ""
        assert result.stderr.startswith("kho: KHO_TRUST_ROOTS: ")
        assert root in result.stderr and len(result.stderr.splitlines()) == 1
    result = kho("verify", "a.pdf", env={"KHO_CRLS": str(tmp_path / "root.pem")})
    assert result.returncode == 78 and result.stderr.startswith("kho: KHO_CRLS: ")


def test_no_trust_roots_is_indeterminate(
    kho: Kho, tmp_path: Path, case_pdfs: dict[str, bytes]
) -> None:
    (tmp_path / "a.pdf").write_bytes(case_pdfs["good"])
    result = kho("verify", "a.pdf", env={"KHO_TRUST_ROOTS": None})
    assert result.returncode == 2
    assert json.loads(result.stdout)["subindication"] == "NO_CERTIFICATE_CHAIN_FOUND"
