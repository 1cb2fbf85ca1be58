"""The stated purpose of an access: the dossier being processed (`X-Dossier-Code`).

Purpose limitation (Law 91/2025/QH15) means the dossier code is what an auditor later asks
about, so it must name a real dossier, not `.` or `x`. By default it must have the national
form `V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX`; `KHO_DOSSIER_CODE_PATTERN` relaxes or narrows that
for a province whose one-door system numbers dossiers otherwise. CONTRACT.md's outer bound
(1-64 letters, digits, '.' and '-') holds whatever the pattern. The API, the web pages and the
CLI all check it here, so they agree.
"""

from __future__ import annotations

import re

from kho.archive.identifiers import PURPOSE_CODE, is_dossier_code
from kho.services.errors import MissingPurpose
from kho.settings import Settings

__all__ = ["check_dossier_code"]

_NATIONAL_FORM = "V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX, e.g. 000.00.15.H62-261122-0007"


def check_dossier_code(
    value: str | None, settings: Settings, *, name: str = "X-Dossier-Code"
) -> str:
    """The dossier code, if it is well formed; MissingPurpose (400) naming `name` if it is
    absent, blank or not of the accepted form."""
    if value is None or not value.strip():
        raise MissingPurpose(f"{name} is required: the dossier this access serves")
    if not PURPOSE_CODE.fullmatch(value):
        raise MissingPurpose(
            f"{name} must be 1-64 letters, digits, '.' or '-' (the dossier code, {_NATIONAL_FORM})"
        )
    pattern = settings.dossier_code_pattern
    if pattern is None:
        if not is_dossier_code(value):
            raise MissingPurpose(f"{name} must be a dossier code of the form {_NATIONAL_FORM}")
    elif re.fullmatch(pattern, value) is None:
        raise MissingPurpose(
            f"{name} must be a dossier code matching KHO_DOSSIER_CODE_PATTERN ({pattern})"
        )
    return value
