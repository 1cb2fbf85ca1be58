"""Reuse means trustworthy: `reusable` and `reuse_blockers` on every record view, the reuse
lookup returning only reusable results (inside the index query, on every engine), the
demo's forged and expired results kept out of it, KHO_REUSE_SIGNATURE, and a re-validation
changing the verdict at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import audit_events, deposit

from kho.archive.reuse import SignaturePolicy
from kho.demo.pki import TestPKI
from kho.demo.samples import build_demo
from kho.server import create_app
from kho.services import Services
from kho.settings import Settings
from kho.wiring import build_services

DUC = "001203001234"
COMPANY = "0101234565"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


def lookup(
    client: TestClient, headers: dict[str, str], subject: str = DUC, **params: Any
) -> dict[str, Any]:
    response = client.get(f"/api/v1/subjects/{subject}/records", headers=headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["record_id"]: item for item in body["items"]}


@pytest.fixture
def other_services(settings: Settings) -> Iterator[Callable[..., Services]]:
    """Another Kho over the same archive with some settings changed (a trust root added,
    another KHO_REUSE_SIGNATURE), as after an operator's restart; values as parsed."""
    built: list[Services] = []

    def make(**changes: Any) -> Services:
        services = build_services(settings.model_copy(update=changes))
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()


def test_every_record_view_carries_the_reuse_verdict(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    good = deposit(client, headers, signed_pdf(), metadata())
    forged = deposit(client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata())
    # the deposit response
    assert (good["reusable"], good["reuse_blockers"]) == (True, [])
    assert (forged["reusable"], forged["reuse_blockers"]) == (False, ["signature_indeterminate"])
    assert forged["status"] == "valid"  # valid by its dates: the signature alone blocks it
    # the record
    record = client.get(f"/api/v1/records/{forged['record_id']}", headers=headers).json()
    assert (record["reusable"], record["reuse_blockers"]) == (False, ["signature_indeterminate"])
    # search items
    found = client.get("/api/v1/search", headers=headers, params={"subject_id": DUC}).json()
    verdicts = {i["record"]["record_id"]: i["record"]["reuse_blockers"] for i in found["items"]}
    assert verdicts == {good["record_id"]: [], forged["record_id"]: ["signature_indeterminate"]}
    assert found["total"] == 2  # search lists every result, reusable or not
    # lookup items, with include_invalid
    every = by_id(lookup(client, headers, include_invalid="true"))
    assert every[forged["record_id"]]["reusable"] is False
    assert every[good["record_id"]]["reusable"] is True


def test_the_lookup_returns_only_reusable_results_with_right_totals_and_pages(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    today = date.today()
    reusable = [
        deposit(client, headers, signed_pdf(f"GIẤY SỐ {n}"), metadata())["record_id"]
        for n in range(3)
    ]
    blocked = {
        deposit(client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata())[
            "record_id"
        ]: ["signature_indeterminate"],
        deposit(
            client,
            headers,
            signed_pdf("GIẤY HẾT HẠN"),
            metadata(
                issued_on=(today - timedelta(days=300)).isoformat(),
                valid_until=(today - timedelta(days=100)).isoformat(),
            ),
        )["record_id"]: ["expired"],
        deposit(
            client,
            headers,
            signed_pdf("GIẤY HẾT HẠN, KÝ KHÔNG TIN CẬY", signer="untrusted"),
            metadata(
                issued_on=(today - timedelta(days=300)).isoformat(),
                valid_until=(today - timedelta(days=100)).isoformat(),
            ),
        )["record_id"]: ["expired", "signature_indeterminate"],
    }
    pages = [lookup(client, headers, page=n, page_size=2) for n in (1, 2, 3)]
    assert [p["total"] for p in pages] == [3, 3, 3]
    assert [len(p["items"]) for p in pages] == [2, 1, 0]
    assert sorted(i["record_id"] for p in pages for i in p["items"]) == sorted(reusable)

    every = lookup(client, headers, include_invalid="true", page_size=100)
    assert every["total"] == 6
    items = by_id(every)
    for record_id, blockers in blocked.items():
        assert (items[record_id]["reusable"], items[record_id]["reuse_blockers"]) == (
            False,
            blockers,
        )
    assert all(items[r]["reusable"] for r in reusable)
    # the audit event says how many of the results found were reusable
    event = audit_events(input_services(client), action="lookup")[-1]
    assert (event["detail"]["total"], event["detail"]["reusable"]) == (6, 3)
    assert event["detail"]["reuse_signature"] == "TOTAL-PASSED"


def input_services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def test_the_demos_forged_and_expired_results_are_not_offered_for_reuse(
    client: TestClient, headers: dict[str, str], services: Services, pki: TestPKI, tmp_path: Path
) -> None:
    """Against the demo's own data: the extract signed by "UBND xã Giả Mạo" (untrusted,
    INDETERMINATE) and the expired marriage-status certificate stay out of the default
    lookup and are listed with their blockers under include_invalid."""
    record_ids = build_demo(services, pki, tmp_path / "demo")
    forged = record_ids["birth-extract-duc-untrusted"]
    expired = record_ids["marriage-status-duc-old"]
    revoked = record_ids["marriage-status-duc-revoked"]
    assert services.records.view(services.backends.packages.latest_manifest(forged))["signature"][
        "signer"
    ].startswith("UBND xã Giả Mạo")

    default = lookup(client, headers)
    assert set(by_id(default)) == {
        record_ids["marriage-status-duc-new"],
        record_ids["judicial-record-duc"],
    }
    assert default["total"] == 2
    assert all(i["reusable"] for i in default["items"])

    every = by_id(lookup(client, headers, include_invalid="true"))
    assert len(every) == 5
    assert every[forged]["status"] == "valid"
    assert every[forged]["signature"]["indication"] == "INDETERMINATE"
    assert every[forged]["reuse_blockers"] == ["signature_indeterminate"]
    assert every[expired]["reuse_blockers"] == ["expired"]
    assert every[revoked]["reuse_blockers"] == ["revoked"]
    assert not any(every[r]["reusable"] for r in (forged, expired, revoked))

    company = by_id(lookup(client, headers, subject=COMPANY, include_invalid="true"))
    assert company[record_ids["enterprise-v1"]]["reuse_blockers"] == ["superseded"]
    assert company[record_ids["enterprise-v2"]]["reusable"] is True


def test_a_new_trust_root_and_a_revalidation_change_reusability_at_once(
    client: TestClient,
    headers: dict[str, str],
    settings: Settings,
    signed_pdf: Pdf,
    metadata: Meta,
    pki: TestPKI,
    other_services: Callable[..., Services],
) -> None:
    record_id = deposit(client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata())[
        "record_id"
    ]
    assert lookup(client, headers)["total"] == 0

    # The operator adds the signer's root; POST …/verification judges it again.
    trusting = other_services(trust_roots=[*settings.trust_roots, pki.untrusted_root_cert_path])
    with TestClient(create_app(trusting, outbox_worker=False)) as trusting_client:
        again = trusting_client.post(f"/api/v1/records/{record_id}/verification", headers=headers)
        assert again.status_code == 200, again.text
        assert again.json()["indication"] == "TOTAL-PASSED"
        (item,) = lookup(trusting_client, headers)["items"]
    assert (item["record_id"], item["reusable"], item["reuse_blockers"]) == (record_id, True, [])
    # ...and every reader of the index sees it at once
    assert [i["record_id"] for i in lookup(client, headers)["items"]] == [record_id]

    # The root is removed again: the next validation takes the record out of reuse.
    assert client.post(f"/api/v1/records/{record_id}/verification", headers=headers).json()[
        "indication"
    ] == ("INDETERMINATE")
    assert lookup(client, headers)["total"] == 0
    record = client.get(f"/api/v1/records/{record_id}", headers=headers).json()
    assert record["reuse_blockers"] == ["signature_indeterminate"]


def test_reuse_signature_any_lets_any_indication_through_and_still_reports_it(
    client: TestClient,
    headers: dict[str, str],
    signed_pdf: Pdf,
    metadata: Meta,
    other_services: Callable[..., Services],
) -> None:
    today = date.today()
    forged = deposit(client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata())
    expired = deposit(
        client,
        headers,
        signed_pdf("GIẤY HẾT HẠN", signer="untrusted"),
        metadata(
            issued_on=(today - timedelta(days=300)).isoformat(),
            valid_until=(today - timedelta(days=100)).isoformat(),
        ),
    )
    assert lookup(client, headers)["total"] == 0

    pilot = other_services(reuse_signature=SignaturePolicy.any)
    with TestClient(create_app(pilot, outbox_worker=False)) as pilot_client:
        body = lookup(pilot_client, headers)
        record = pilot_client.get(f"/api/v1/records/{expired['record_id']}", headers=headers)
    (item,) = body["items"]
    assert item["record_id"] == forged["record_id"]
    assert (item["reusable"], item["reuse_blockers"]) == (True, [])
    assert item["signature"]["indication"] == "INDETERMINATE"  # still reported
    # validity still counts
    assert record.json()["reuse_blockers"] == ["expired"]


def test_the_lookup_answers_with_the_contracts_fields(
    client: TestClient, headers: dict[str, str], signed_pdf: Pdf, metadata: Meta
) -> None:
    deposit(client, headers, signed_pdf(), metadata())
    (item,) = lookup(client, headers)["items"]
    for name in ("status", "reusable", "reuse_blockers", "signature", "content_url"):
        assert name in item
    assert client.get(item["content_url"], headers=headers).status_code == 200
