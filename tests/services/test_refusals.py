"""RefusalGuard alone, on a clock the test moves: many addresses at once still add at most
`audit_per_minute` events and one summary a minute to the audit trail."""

from __future__ import annotations

import pytest
from support.api import audit_events

from kho.services import Services
from kho.services.errors import RateLimited
from kho.services.refusals import Refusal, RefusalGuard


def _refusal(n: int) -> Refusal:
    return Refusal(
        client=f"2001:db8::{n:x}",
        status=401,
        method="GET",
        route="/api/v1/search",
        problem="unauthenticated",
    )


def test_many_addresses_are_audited_up_to_the_cap_then_summarised(services: Services) -> None:
    now = [1000.0]
    guard = RefusalGuard(services.audit, per_minute=30, audit_per_minute=50, clock=lambda: now[0])
    for n in range(2_000):  # an IPv6 flood: every request from a new address
        guard.refused(_refusal(n))
    services.audit.flush()
    assert len(audit_events(services, action="request.refused")) == 50
    assert audit_events(services, action="request.refused.summary") == []

    now[0] += 61  # the minute is over: its summary is written by the next refusal or flush
    assert guard.flush()
    services.audit.flush()
    [summary] = audit_events(services, action="request.refused.summary")
    detail = summary["detail"]
    assert detail["refused"] == 1_950 and detail["throttled"] == 0
    assert detail["by_status_and_problem"] == {"401 unauthenticated": 1_950}
    assert detail["clients"] == 1_000 + 1  # counted one by one up to a bound, then "other"
    assert len(detail["busiest_clients"]) == 20

    # A new minute: the cap starts again.
    for n in range(60):
        guard.refused(_refusal(n + 10_000))
    services.audit.flush()
    assert len(audit_events(services, action="request.refused")) == 100


def test_the_allowance_refills(services: Services) -> None:
    now = [0.0]
    guard = RefusalGuard(services.audit, per_minute=2, clock=lambda: now[0])
    guard.check("a")
    guard.refused(_refusal(1))
    guard.refused(_refusal(1))
    with pytest.raises(RateLimited, match="retry in 30 s"):
        guard.check("2001:db8::1")
    now[0] = 30.0
    guard.check("2001:db8::1")  # half a minute refills one
