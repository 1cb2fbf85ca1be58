"""Vietnamese identifiers (DOMAIN.md)."""

from __future__ import annotations

import pytest

from kho.archive.identifiers import (
    enterprise_id_warnings,
    is_agency_code,
    is_dossier_code,
    subject_kind_of,
)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("001203001234", "citizen"),
        ("0101234565", "enterprise"),
        ("0101234565-001", "enterprise"),
        ("00120300123", None),
        ("0012030012345", None),
        ("0101234565-01", None),
        ("٠٠١٢٠٣٠٠١٢٣٤", None),  # Arabic-Indic digits are not digits here
        ("001203001234 ", None),
    ],
)
def test_subject_kinds(value: str, kind: str | None) -> None:
    assert subject_kind_of(value) == kind


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("000.00.15.H62-261122-0007", True),
        ("000.00.15.H62-261322-0007", False),  # month 13
        ("000.00.15.H62-261122-007", False),
        ("H62-261122-0007", False),
    ],
)
def test_dossier_codes(code: str, ok: bool) -> None:
    assert is_dossier_code(code) is ok


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("H62", True),
        ("000.00.15.H62", True),
        ("G01.BTP", True),
        ("", False),
        ("a..b", False),
        ("x" * 36, False),
        ("H62 ", False),
        ("Hà.Nội", False),
    ],
)
def test_agency_codes(code: str, ok: bool) -> None:
    assert is_agency_code(code) is ok


def test_tax_code_check_digit() -> None:
    assert enterprise_id_warnings("0101234565") == []
    assert enterprise_id_warnings("0101234566") != []
