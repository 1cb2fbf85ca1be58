"""Vietnamese identifiers: personal ID numbers, enterprise codes, agency codes and dossier codes.

The rules are DOMAIN.md's. A malformed identifier is refused; a well-formed one that only
looks unusual (an unknown province prefix, a tax-code check digit that does not match) is
accepted with a warning, since the official lists are not confirmed.
"""

from __future__ import annotations

import re

__all__ = [
    "AGENCY_CODE",
    "CITIZEN_ID",
    "DOSSIER_CODE",
    "ENTERPRISE_ID",
    "PURPOSE_CODE",
    "citizen_id_warnings",
    "enterprise_id_warnings",
    "is_agency_code",
    "is_dossier_code",
    "subject_kind_of",
]

CITIZEN_ID = re.compile(r"^\d{12}$", re.ASCII)
ENTERPRISE_ID = re.compile(r"^\d{10}(-\d{3})?$", re.ASCII)
# Decision 20/2020/QĐ-TTg: dot-separated groups of letters and digits, at most 35 characters.
AGENCY_CODE = re.compile(r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*$", re.ASCII)
# V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX, e.g. 000.00.15.H62-261122-0007.
DOSSIER_CODE = re.compile(
    r"^(?P<agency>[A-Za-z0-9]{3}\.[A-Za-z0-9]{2}\.[A-Za-z0-9]{2}\.[A-Za-z0-9]{3})"
    r"-(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})-(?P<seq>\d{4})$",
    re.ASCII,
)
# The `X-Dossier-Code` purpose header of CONTRACT.md (looser than a dossier code).
PURPOSE_CODE = re.compile(r"^[A-Za-z0-9.\-]{1,64}$", re.ASCII)

# Province codes of Decision 124/2004/QĐ-TTg used as the first three digits of a personal ID.
PROVINCE_PREFIXES = frozenset(
    """001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033
    034 035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067
    068 070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096""".split()
)

_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def is_agency_code(value: str) -> bool:
    return len(value) <= 35 and AGENCY_CODE.fullmatch(value) is not None


def is_dossier_code(value: str) -> bool:
    match = DOSSIER_CODE.fullmatch(value)
    if match is None:
        return False
    month, day = int(match["mm"]), int(match["dd"])
    return 1 <= month <= 12 and 1 <= day <= 31


def citizen_id_warnings(value: str) -> list[str]:
    """Warnings for a well-formed personal ID number (never a refusal)."""
    if value[:3] not in PROVINCE_PREFIXES:
        return [f"personal ID {value}: unknown province prefix {value[:3]}"]
    return []


def enterprise_id_warnings(value: str) -> list[str]:
    """Warnings for a well-formed enterprise code whose tax-code check digit does not match."""
    digits = [int(c) for c in value[:10]]
    check = 10 - (sum(w * d for w, d in zip(_TAX_WEIGHTS, digits, strict=False)) % 11)
    if check == 10 or check != digits[9]:
        return [f"enterprise code {value}: check digit does not match the usual rule"]
    return []


def subject_kind_of(subject_id: str) -> str | None:
    """'citizen' or 'enterprise' for a well-formed subject ID, else None."""
    if CITIZEN_ID.fullmatch(subject_id):
        return "citizen"
    if ENTERPRISE_ID.fullmatch(subject_id):
        return "enterprise"
    return None
