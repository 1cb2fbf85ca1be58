"""The verification fixture cases: one PDF each, with the verdict every surface must give;
how to make them, and the environment of a `kho` subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from support.backends import settings_overrides

from kho.demo.pki import TestPKI
from kho.settings import Settings

KHO = str(Path(sys.executable).with_name("kho"))

PASSED, INDETERMINATE, FAILED = "TOTAL-PASSED", "INDETERMINATE", "TOTAL-FAILED"


@dataclass(frozen=True)
class Case:
    """One fixture case: what `kho verify` exits with, the document indication and
    sub-indication (None when unsigned or unreadable), and the deposit's HTTP status."""

    name: str
    exit_code: int
    indication: str | None
    subindication: str | None
    deposit_status: int

    @property
    def readable(self) -> bool:
        return self.exit_code in (0, 1, 2, 3)

    @property
    def deposited(self) -> bool:
        return self.deposit_status == 201


CASES = (
    Case("good", 0, PASSED, None, 201),
    Case("two_signatures", 0, PASSED, None, 201),
    Case("tampered", 1, FAILED, "HASH_FAILURE", 201),
    Case("content_replaced", 2, INDETERMINATE, "SIG_CONSTRAINTS_FAILURE", 201),
    Case("untrusted", 2, INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND", 201),
    Case("expired", 2, INDETERMINATE, "OUT_OF_BOUNDS_NO_POE", 201),
    Case("expired_timestamped", 0, PASSED, None, 201),
    Case("revoked", 2, INDETERMINATE, "REVOKED_NO_POE", 201),
    Case("unsigned", 3, None, None, 422),
    Case("garbage", 4, None, None, 415),  # not even a PDF: refused by its content
    Case("truncated", 4, None, None, 422),
    Case("encrypted", 4, None, None, 422),
)


def trust_env(pki: TestPKI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env["KHO_TRUST_ROOTS"] = str(pki.root_cert_path)
    env["KHO_TRUST_INTERMEDIATES"] = os.pathsep.join(str(p) for p in pki.intermediate_cert_paths)
    env["KHO_CRLS"] = os.pathsep.join(str(p) for p in pki.crl_paths)
    return env


def archive_env(settings: Settings, stack: str, tmp_path: Path) -> dict[str, str]:
    """KHO_* variables naming the same archive as `settings` (for a `kho` subprocess)."""
    env = {}
    for name in settings_overrides(stack, tmp_path):
        value = getattr(settings, name)
        env[f"KHO_{name.upper()}"] = str(getattr(value, "value", value))  # enums by value
    return env


Kho = Callable[..., subprocess.CompletedProcess[str]]


def after_agency_certificate(pki: TestPKI) -> datetime:
    """A month after the "agency" signer's certificate expires."""
    return pki.signer_certificate("agency").not_valid_after_utc + timedelta(days=30)
