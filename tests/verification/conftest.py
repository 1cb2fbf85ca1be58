"""Fixtures: one PDF per verification case (verification/cases.py) and a runner for the
installed `kho` that trusts the test PKI."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.forgeries import encrypt, replace_page_content, tamper_signed_bytes
from verification.cases import CASES, KHO, Kho, trust_env

from kho.demo.pki import TestPKI


@pytest.fixture(scope="session")
def case_pdfs(pki: TestPKI, make_pdf: Callable[..., bytes]) -> dict[str, bytes]:
    unsigned = make_pdf("GIẤY KHAI SINH", ("Họ, chữ đệm, tên", "NGUYỄN THỊ HỒNG NHUNG"))
    good = pki.sign_pdf(unsigned)
    pdfs = {
        "good": good,
        "two_signatures": pki.sign_pdf(good, "second", timestamp=True),
        "tampered": tamper_signed_bytes(good),
        "content_replaced": replace_page_content(good),
        "untrusted": pki.sign_pdf(unsigned, "untrusted"),
        "expired": pki.sign_pdf(unsigned, "expired"),
        "expired_timestamped": pki.sign_pdf(unsigned, "expired", timestamp=True),
        "revoked": pki.sign_pdf(unsigned, "revoked"),
        "unsigned": unsigned,
        "garbage": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        "truncated": good[: len(good) // 2],
        "encrypted": encrypt(good),
    }
    assert set(pdfs) == {case.name for case in CASES}
    return pdfs


@pytest.fixture
def kho(pki: TestPKI, tmp_path: Path) -> Kho:
    """Run the installed `kho` as a user does, trusting the test PKI; `env` adds or
    overrides variables (a value of None removes one)."""

    def run(
        *args: str, env: dict[str, str | None] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        full = trust_env(pki)
        for name, value in (env or {}).items():
            if value is None:
                full.pop(name, None)
            else:
                full[name] = value
        return subprocess.run(
            [KHO, *args],
            capture_output=True,
            text=True,
            env=full,
            cwd=tmp_path,
            timeout=timeout,
        )

    return run
