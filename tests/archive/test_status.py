"""A record's status is computed for a day from its dates and events, never stored."""

from __future__ import annotations

from datetime import date

import pytest

from kho.archive.status import Status, Validity, status_on

D = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("validity", "expected"),
    [
        (Validity(valid_from=D, valid_until=None), Status.valid),
        (Validity(valid_from=D, valid_until=D), Status.valid),  # both ends inclusive
        (Validity(valid_from=date(2026, 1, 1), valid_until=date(2026, 5, 31)), Status.expired),
        (Validity(valid_from=date(2026, 6, 2), valid_until=None), Status.not_yet_valid),
        (Validity(valid_from=date(2026, 1, 1), valid_until=None, revoked_on=D), Status.revoked),
        (
            Validity(valid_from=date(2026, 1, 1), valid_until=None, revoked_on=date(2026, 6, 2)),
            Status.valid,
        ),
        (
            Validity(valid_from=date(2026, 1, 1), valid_until=None, superseded_on=D),
            Status.superseded,
        ),
        (
            Validity(valid_from=date(2026, 1, 1), valid_until=date(2026, 1, 2), revoked_on=D),
            Status.revoked,
        ),
        (Validity(valid_from=date(2026, 1, 1), valid_until=None, disposed=True), Status.disposed),
    ],
)
def test_status_on_a_day(validity: Validity, expected: Status) -> None:
    assert status_on(validity, D) is expected
    assert validity.is_valid_on(D) is (expected is Status.valid)
