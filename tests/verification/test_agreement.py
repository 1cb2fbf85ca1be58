"""Acceptance: every fixture case gets the same indication (and sub-indication) from
`kho verify`, from POST /api/v1/verify and from the archive after a deposit through
POST /api/v1/records — in the manifest, the stored report, lookups and search."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, deposit
from verification.cases import CASES, Case, Kho

from kho.services import Services

Meta = Callable[..., dict[str, Any]]


def per_signature(report: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(s["indication"], s["subindication"]) for s in report["signatures"]]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_cli_api_and_archive_agree(
    case: Case,
    case_pdfs: dict[str, bytes],
    kho: Kho,
    tmp_path: Path,
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    metadata: Meta,
) -> None:
    pdf = case_pdfs[case.name]
    (tmp_path / f"{case.name}.pdf").write_bytes(pdf)

    # 1. kho verify, as a user runs it
    cli = kho("verify", f"{case.name}.pdf")
    assert cli.returncode == case.exit_code, cli.stderr
    assert "Traceback" not in cli.stderr
    cli_report = json.loads(cli.stdout)

    # 2. POST /api/v1/verify
    auth = {"Authorization": headers["Authorization"]}
    response = client.post(
        "/api/v1/verify", headers=auth, files={"file": (f"{case.name}.pdf", pdf, "application/pdf")}
    )
    if not case.readable:
        assert cli_report["readable"] is False
        assert len(cli.stderr.strip().splitlines()) == 1
        assert_problem(response, 422, "unreadable-file")
    else:
        assert response.status_code == 200, response.text
        api_report = response.json()
        for report in (cli_report, api_report):
            assert report["signed"] is (case.indication is not None)
            assert (report["indication"], report["subindication"]) == (
                case.indication,
                case.subindication,
            )
        assert per_signature(cli_report) == per_signature(api_report)
        assert cli_report["document"] == api_report["document"]

    # 3. deposit, then the manifest, the stored report, lookups and search
    subject = f"001203{CASES.index(case):06d}"
    meta = metadata(subjects=[{"kind": "citizen", "id": subject, "name": "Nguyễn Thị Hồng Nhung"}])
    if not case.deposited:
        refused = client.post(
            "/api/v1/records",
            headers=auth,
            files={"file": (f"{case.name}.pdf", pdf, "application/pdf")},
            data={"metadata": json.dumps(meta, ensure_ascii=False)},
        )
        assert_problem(refused, case.deposit_status)
        return
    record = deposit(client, headers, pdf, meta)
    expected = {"indication": case.indication, "subindication": case.subindication}
    assert {k: record["signature"][k] for k in expected} == expected

    manifest = services.backends.packages.latest_manifest(record["record_id"])
    assert (manifest.signature.indication, manifest.signature.subindication) == (
        case.indication,
        case.subindication,
    )
    assert [(v.indication, v.subindication) for v in manifest.validations] == [
        (case.indication, case.subindication)
    ]
    stored = services.backends.packages.get_json(manifest.validations[0].report_key)
    assert per_signature(stored) == per_signature(cli_report)
    if case.indication == "TOTAL-PASSED":  # the chain it rests on is kept
        assert stored["evidence"]["certificates"]
    assert stored["trust"]["fingerprint"] == services.verify.trust().fingerprint

    read = {"Authorization": headers["Authorization"], "X-Dossier-Code": PURPOSE}
    latest = client.get(f"/api/v1/records/{record['record_id']}/verification", headers=read)
    assert latest.status_code == 200, latest.text
    assert per_signature(latest.json()) == per_signature(cli_report)

    found = client.get(
        f"/api/v1/subjects/{subject}/records", headers=read, params={"include_invalid": True}
    ).json()
    assert [item["record_id"] for item in found["items"]] == [record["record_id"]]
    assert {k: found["items"][0]["signature"][k] for k in expected} == expected

    searched = client.get("/api/v1/search", headers=read, params={"subject_id": subject}).json()
    assert [item["record"]["record_id"] for item in searched["items"]] == [record["record_id"]]
    assert {k: searched["items"][0]["record"]["signature"][k] for k in expected} == expected
