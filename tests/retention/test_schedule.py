"""Schedules as data: both forms, rule matching, triggers counted from the next year."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kho.retention.schedule import RecordTerms, RetentionSchedule, ScheduleError

FULL = b"""
version: "2026.1"
rules:
  - {id: all-h62, issuer_code: 000.00.15.H62, years: 10}
  - {id: marriage, result_type: "Gi\xe1\xba\xa5y x\xc3\xa1c nh\xe1\xba\xadn", years: 5}
  - {id: marriage-h62, result_type: "Gi\xe1\xba\xa5y x\xc3\xa1c nh\xe1\xba\xadn",
     issuer_code: 000.00.15.H62, years: 3, action: review}
  - {id: licence, procedure_code: "2.000001", years: 2, trigger: revoked}
  - {id: land, result_type: "\xc4\x90\xe1\xba\xa5t", permanent: true}
"""


def terms(**kw: object) -> RecordTerms:
    base: dict[str, object] = {
        "result_type": "Khác",
        "procedure_code": "1.0",
        "issuer_code": "000.00.99.X1",
        "issued_on": date(2020, 7, 1),
    }
    base.update(kw)
    return RecordTerms(**base)  # type: ignore[arg-type]


def test_the_most_specific_rule_wins_and_issuers_match_below() -> None:
    s = RetentionSchedule.parse(FULL)
    assert s.version == "2026.1" and len(s.rules) == 5
    d = s.decide_terms(terms(result_type="Giấy xác nhận", issuer_code="000.00.15.H62"))
    assert (d.rule, d.retain_until) == ("marriage-h62", date(2023, 12, 31))
    assert d.action.value == "review"
    assert s.decide_terms(terms(result_type="Giấy xác nhận")).rule == "marriage"
    assert s.decide_terms(terms(issuer_code="000.00.15.H62.01")).rule == "all-h62"
    assert s.decide_terms(terms(issuer_code="000.00.15.H620")).rule == "default:permanent"
    assert s.decide_terms(terms(result_type="Đất")).retain_until is None


def test_a_trigger_not_yet_happened_keeps_the_record() -> None:
    s = RetentionSchedule.parse(FULL)
    kept = s.decide_terms(terms(procedure_code="2.000001"))
    assert kept.retain_until is None and kept.period_years == 2
    revoked = s.decide_terms(terms(procedure_code="2.000001", revoked_on=date(2024, 1, 1)))
    assert revoked.retain_until == date(2026, 12, 31)


def test_the_older_inline_form_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"Giấy khai sinh": "permanent", "Giấy xác nhận": 5}', encoding="utf-8")
    s = RetentionSchedule.load(path)
    d = s.decide("Giấy xác nhận", date(2026, 3, 1))
    assert (d.rule, d.retain_until) == ("Giấy xác nhận:5y", date(2031, 12, 31))
    assert s.decide("Giấy khai sinh", date(2026, 3, 1)).rule == "Giấy khai sinh:permanent"
    # The value of KHO_RETENTION_SCHEDULE may be the inline JSON itself.
    inline = RetentionSchedule.load(Path('{"Giấy xác nhận": 5}'))
    assert inline.decide("Giấy xác nhận", date(2026, 3, 1)).retain_until == date(2031, 12, 31)


@pytest.mark.parametrize(
    "text",
    [
        b"rules: [{id: a, years: 0}]",
        b"rules: [{id: a}]",
        b"rules: [{id: a, years: 5, trigger: later}]",
        b"rules: [{id: a, years: 5, action: burn}]",
        b"rules: [{id: a, years: 5, colour: red}]",
        b"rules: [{id: a, years: 5}, {id: a, years: 6}]",
        b"[1, 2]",
        b"{: bad",
    ],
)
def test_a_bad_schedule_is_refused_naming_the_problem(text: bytes) -> None:
    with pytest.raises(ScheduleError):
        RetentionSchedule.parse(text)
