"""A citizen at the counter, for the officer pages' tests (TestClient and browser): results
of every standing deposited through the API — reusable ones, an indeterminate signature,
an expired one, a revoked one, and one whose metadata tries a script."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from support.api import deposit

DUC = "001203001234"
DOSSIER = "000.00.15.H62-261123-0001"
XSS_NAME = '<img src=x onerror="window.__xss=1">Trần <script>window.__xss=2</script>'
XSS_PROCEDURE = 'Thủ tục <script>window.__xss=3</script><b onclick="x()">đậm</b>'


@dataclass(frozen=True)
class Counter:
    reusable: list[str]
    indeterminate: str
    expired: str
    revoked: str
    xss: str


def seed_counter(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> Counter:
    today = date.today()
    reusable = [
        deposit(client, headers, signed_pdf(f"GIẤY SỐ {n}"), metadata())["record_id"]
        for n in range(2)
    ]
    indeterminate = deposit(
        client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata()
    )["record_id"]
    expired = deposit(
        client,
        headers,
        signed_pdf("GIẤY HẾT HẠN"),
        metadata(
            issued_on=(today - timedelta(days=300)).isoformat(),
            valid_until=(today - timedelta(days=100)).isoformat(),
        ),
    )["record_id"]
    revoked = deposit(client, headers, signed_pdf("GIẤY THU HỒI"), metadata())["record_id"]
    answer = client.post(
        f"/api/v1/records/{revoked}/revoke",
        headers=headers,
        json={"reason": "Cấp nhầm"},
    )
    assert answer.status_code == 200, answer.text
    xss = deposit(
        client,
        headers,
        signed_pdf("GIẤY XSS"),
        metadata(
            procedure_name=XSS_PROCEDURE,
            subjects=[{"kind": "citizen", "id": "079188001122", "name": XSS_NAME}],
        ),
    )["record_id"]
    return Counter(reusable, indeterminate, expired, revoked, xss)
