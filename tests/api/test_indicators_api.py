"""POST /api/v1/settlements, the backlog, GET /api/v1/indicators and the links behind each
figure, over HTTP, on every requested stack (the seeded history of
tests/support/indicator_history.py; expected figures counted by hand)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import assert_problem
from support.indicator_history import C, History, M, P, Y, notice, seed

from kho.server import create_app
from kho.services import Access
from kho.settings import Settings

CONTRACT_TOTALS = {
    "settled",
    "digitized",
    "digitization_rate",
    "lookups",
    "lookups_found",
    "downloads_by_other_agencies",
}


@pytest.fixture
def history(
    settings: Settings, tmp_path: Path, signed_pdf: Callable[..., bytes]
) -> Iterator[History]:
    built = seed(settings, tmp_path, signed_pdf)
    try:
        yield built
    finally:
        built.services.close()


@pytest.fixture
def http(history: History) -> Iterator[TestClient]:
    with TestClient(create_app(history.services, outbox_worker=False)) as client:
        yield client


def bearer(history: History, agency: str, scopes: str, **kwargs: Any) -> dict[str, str]:
    _key, token = history.services.keys.create(
        agency=agency, scopes=frozenset(scopes.split(",")), access=Access.system(), **kwargs
    )
    return {"Authorization": f"Bearer {token}"}


def test_indicators_over_http_with_the_contracts_names(history: History, http: TestClient) -> None:
    reader = bearer(history, P, "indicators:read")
    response = http.get(
        "/api/v1/indicators",
        params={"from": f"{Y}-01-01", "to": f"{Y}-03-31", "group_by": "level"},
        headers=reader,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {"from", "to", "totals", "groups"} <= body.keys()
    assert body["totals"].keys() >= CONTRACT_TOTALS
    assert {k: body["totals"][k] for k in CONTRACT_TOTALS} == {
        "settled": 6,
        "digitized": 3,
        "digitization_rate": 0.5,
        "lookups": 5,
        "lookups_found": 3,
        "downloads_by_other_agencies": 2,
    }
    assert [
        (g["key"], g["settled"], g["digitized"], g["digitization_rate"]) for g in body["groups"]
    ] == [
        ("central", 1, 1, 1.0),
        ("commune", 2, 0, 0.0),
        ("province", 3, 2, 2 / 3),
    ]
    # A preset gives the same period.
    same = http.get(
        "/api/v1/indicators", params={"period": f"{Y}-Q1", "group_by": "level"}, headers=reader
    ).json()
    assert same["totals"] == body["totals"] and same["groups"] == body["groups"]


def test_every_figure_leads_to_what_is_behind_it(history: History, http: TestClient) -> None:
    reader = bearer(history, P, "indicators:read,audit:read")
    body = http.get(
        "/api/v1/indicators",
        params={"period": f"{Y}-Q1", "group_by": "issuer_code"},
        headers=reader,
    ).json()
    digitized = http.get(body["links"]["digitized"], headers=reader).json()
    assert digitized["total"] == body["totals"]["digitized"] == 3
    record_ids = {item["record_id"] for item in digitized["items"]}
    assert record_ids == {history.records[n] for n in ("n1", "n2", "n7")}
    for item in digitized["items"]:  # each record is there to be read
        assert item["record"] == f"/api/v1/records/{item['record_id']}"
    waiting = http.get(body["links"]["waiting"], headers=reader).json()
    assert waiting["total"] == body["totals"]["waiting"] == 3
    commune = next(g for g in body["groups"] if g["key"] == C)
    assert http.get(commune["links"]["settled"], headers=reader).json()["total"] == 2
    lookups = http.get(body["links"]["lookups"], headers=reader).json()
    assert lookups["total"] == body["totals"]["lookups"] == 5
    assert {e["action"] for e in lookups["items"]} == {"lookup"}
    found = http.get(body["links"]["lookups_found"], headers=reader).json()
    assert found["total"] == 3
    listed = {e["event_id"] for e in lookups["items"]}
    assert {e["event_id"] for e in found["items"]} <= listed
    reads = http.get(body["links"]["downloads_by_other_agencies"], headers=reader).json()
    assert reads["total"] == 2 and {e["agency"] for e in reads["items"]} == {C}


def test_a_notice_is_kept_once_and_validated_by_field(history: History, http: TestClient) -> None:
    key = bearer(history, C, "settlements:write")
    fresh = notice("n40", C, "commune", "1.001193", history.clock[0].date())
    created = http.post("/api/v1/settlements", json=fresh, headers=key)
    assert created.status_code == 201, created.text
    assert created.json()["digitized"] is False and created.json()["record_id"] is None
    again = http.post("/api/v1/settlements", json=fresh, headers=key)
    assert again.status_code == 200 and again.json()["received_at"] == created.json()["received_at"]
    other = assert_problem(
        http.post("/api/v1/settlements", json={**fresh, "result_form": "paper"}, headers=key),
        409,
    )
    assert other["fields"] == ["result_form"]
    # A notice of a result Kho holds already says so.
    held = notice("n1", P, "province", "1.001193", history.clock[0].date().replace(month=1, day=10))
    body = http.post(
        "/api/v1/settlements", json=held, headers=bearer(history, P, "settlements:write")
    )
    assert body.status_code == 200 and body.json()["record_id"] == history.records["n1"]

    def refused(change: dict[str, Any], field: str, status: int = 422) -> None:
        problem = assert_problem(
            http.post("/api/v1/settlements", json={**fresh, **change}, headers=key), status
        )
        assert (
            field in [e["field"] for e in problem.get("errors", [])]
            or problem.get("field") == field
        )

    refused({"level": "district"}, "level")  # no district level after 30 June 2025
    refused({"level": "ward"}, "level")
    refused({"settled_on": f"{Y}-02-30"}, "settled_on")
    refused({"settled_on": f"{Y + 1}-01-01"}, "settled_on")  # after today
    refused({"result_form": "fax"}, "result_form")
    refused({"issuer_code": "not a code"}, "issuer_code")
    refused({"issuer_code": "000.99.15.H62"}, "issuer_code")  # not in the registry
    refused({"issuer_code": P, "level": "commune"}, "level")  # the registry says province
    refused({"comment": "x"}, "comment")  # unknown fields are refused by name
    refused({"result_code": "000.00.15.H62-270101-0001-KQ1"}, "result_code")  # another dossier
    missing = {k: v for k, v in fresh.items() if k != "procedure_code"}
    assert "procedure_code" in [
        e["field"]
        for e in assert_problem(http.post("/api/v1/settlements", json=missing, headers=key), 422)[
            "errors"
        ]
    ]
    assert_problem(http.post("/api/v1/settlements", content=b"{not json", headers=key), 400)
    assert_problem(http.post("/api/v1/settlements", json=[fresh], headers=key), 422)
    # A key notifies for its own agency only (or those it acts for).
    assert_problem(
        http.post(
            "/api/v1/settlements", json={**fresh, "issuer_code": M, "level": "central"}, headers=key
        ),
        403,
    )
    one_door = bearer(history, P, "settlements:write", on_behalf_of=frozenset({C}))
    assert http.post("/api/v1/settlements", json=fresh, headers=one_door).status_code == 200
    # Scopes.
    assert_problem(
        http.post("/api/v1/settlements", json=fresh, headers=bearer(history, C, "records:write")),
        403,
    )
    assert_problem(http.post("/api/v1/settlements", json=fresh), 401)
    assert_problem(
        http.get(
            "/api/v1/indicators",
            params={"period": f"{Y}"},
            headers=bearer(history, C, "records:read"),
        ),
        403,
    )


def test_a_district_notice_from_before_july_2025_is_accepted(
    history: History, http: TestClient
) -> None:
    district = "000.30.15.H62"
    old = notice("n41", district, "district", "1.001193", history.clock[0].date())
    old["settled_on"] = "2025-06-30"
    old["dossier_code"] = f"{district}-250630-0041"
    old["result_code"] = f"{district}-250630-0041-KQ1"
    response = http.post(
        "/api/v1/settlements", json=old, headers=bearer(history, district, "settlements:write")
    )
    assert response.status_code == 201, response.text
    body = http.get(
        "/api/v1/indicators",
        params={"from": "2025-06-01", "to": "2025-06-30", "group_by": "level"},
        headers=bearer(history, P, "indicators:read"),
    ).json()
    assert [(g["key"], g["settled"], g["name"]) for g in body["groups"]] == [
        ("district", 1, "Cấp huyện")
    ]
    assert body["groups"][0]["target_rate"] == 1.0  # 2025: 20% + 4 x 20 points


def test_backlog_per_agency_and_bad_queries(history: History, http: TestClient) -> None:
    reader = bearer(history, P, "indicators:read")
    backlog = http.get("/api/v1/settlements/backlog", params={"issuer_code": C}, headers=reader)
    assert backlog.status_code == 200
    assert [i["result_code"] for i in backlog.json()["items"]] == [
        f"{C}-{Y % 100:02d}0101-0004-KQ1"
    ]
    assert backlog.json()["items"][0]["issuer_name"] == "UBND xã Tân Phong"
    everyone = http.get("/api/v1/settlements/backlog", headers=reader).json()
    assert everyone["total"] == 1
    for params in (
        {"from": f"{Y}-03-01"},  # no `to`
        {"from": f"{Y}-03-31", "to": f"{Y}-03-01"},
        {"period": f"{Y}-Q5"},
        {"period": f"{Y}", "from": f"{Y}-01-01"},
        {"period": f"{Y}", "group_by": "colour"},
        {"from": "2026-02-30", "to": "2026-03-01"},
    ):
        assert_problem(http.get("/api/v1/indicators", params=params, headers=reader), 422)
    assert_problem(
        http.get(
            "/api/v1/indicators/events",
            params={"figure": "lookups", "period": f"{Y}"},
            headers=reader,
        ),
        422,
    )
