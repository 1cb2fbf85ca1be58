"""The PDF/A-2b checks: veraPDF when installed (scripts/digitization-tools fetches it), else
the structural check, which names what fails."""

from __future__ import annotations

from collections.abc import Callable

from kho.digitization.pdfa import STRUCTURAL, PdfaChecker, structural_check
from kho.settings import load_settings


def test_a_plain_pdf_is_not_pdfa_and_the_structural_check_says_why(
    make_pdf: Callable[..., bytes],
) -> None:
    report = structural_check(make_pdf())
    assert not report.conforms and report.validator == STRUCTURAL
    clauses = " ".join(report.failures)
    assert "6.6.4" in clauses  # no PDF/A identification
    assert "6.2.3" in clauses  # no output intent
    unreadable = structural_check(b"%PDF-1.7 nothing")
    assert not unreadable.conforms and unreadable.failures


def test_without_verapdf_the_structural_check_answers(make_pdf: Callable[..., bytes]) -> None:
    checker = PdfaChecker(None, None)
    assert checker.validator == STRUCTURAL
    assert not checker.check(make_pdf()).conforms


def test_verapdf_checks_several_copies_in_one_run(make_pdf: Callable[..., bytes]) -> None:
    checker = PdfaChecker.from_settings(load_settings(_env_file=None))
    assert checker.validator.startswith("veraPDF"), "run scripts/digitization-tools install"
    first, second = checker.check_all([make_pdf(), make_pdf("GIẤY CHỨNG NHẬN KẾT HÔN")])
    assert not first.conforms and not second.conforms
    assert first.validator.startswith("veraPDF") and first.failures
