"""Re-validation of stored records: judged as of the deposit (AdES past validation), every
report kept, the new verdict in the manifest, the index and the API; `kho revalidate`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from support.api import PURPOSE, assert_problem, deposit
from verification.cases import INDETERMINATE, PASSED, Kho, after_agency_certificate, archive_env

from kho.demo.pki import TestPKI
from kho.services import Services
from kho.settings import Settings

Meta = Callable[..., dict[str, Any]]


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_a_record_deposited_while_its_signer_was_valid_stays_passed_later(
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    case_pdfs: dict[str, bytes],
    metadata: Meta,
    pki: TestPKI,
) -> None:
    pdf = case_pdfs["good"]
    record = deposit(client, headers, pdf, metadata())
    record_id = record["record_id"]
    deposited_at = services.backends.packages.latest_manifest(record_id).provenance.deposited_at

    later = after_agency_certificate(pki)
    services.backends.clock = lambda: later
    read = {"Authorization": headers["Authorization"], "X-Dossier-Code": PURPOSE}

    # Handed in today, the same PDF no longer passes: its signer's certificate has expired.
    today = client.post(
        "/api/v1/verify",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("a.pdf", pdf, "application/pdf")},
    ).json()
    assert (today["indication"], today["subindication"]) == (INDETERMINATE, "OUT_OF_BOUNDS_NO_POE")

    # The archived record is judged as of its deposit, which proves the signature existed then.
    again = client.post(f"/api/v1/records/{record_id}/verification", headers=read)
    assert again.status_code == 200, again.text
    report = again.json()
    assert (report["indication"], report["subindication"]) == (PASSED, None)
    assert datetime.fromisoformat(report["validation_time_used"]) == deposited_at
    assert datetime.fromisoformat(report["validated_at"]) == later
    assert [v["indication"] for v in report["validations"]] == [PASSED, PASSED]

    manifest = services.backends.packages.latest_manifest(record_id)
    assert manifest.change == "revalidation"
    assert len(manifest.validations) == 2
    assert manifest.validations[1].moment == deposited_at
    keys = [v.report_key for v in manifest.validations]
    assert len(set(keys)) == 2
    assert all(services.backends.packages.get_json(key)["signatures"] for key in keys)

    latest = client.get(f"/api/v1/records/{record_id}/verification", headers=read).json()
    assert latest["validated_at"] == report["validated_at"]


def test_revalidation_after_the_trust_root_is_removed_is_indeterminate(
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    settings: Settings,
    case_pdfs: dict[str, bytes],
    metadata: Meta,
    kho: Kho,
    stack: str,
    tmp_path: Path,
) -> None:
    subject = "001203777001"
    meta = metadata(subjects=[{"kind": "citizen", "id": subject, "name": "Lò Văn Páo"}])
    record_id = deposit(client, headers, case_pdfs["good"], meta)["record_id"]

    # New settings: the same archive, no trust root any more.
    no_roots = {"KHO_TRUST_ROOTS": None, **archive_env(settings, stack, tmp_path)}
    result = kho("revalidate", "--all", env=no_roots)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = lines(result.stdout)
    assert line["record_id"] == record_id
    assert (line["indication"], line["subindication"]) == (
        INDETERMINATE,
        "NO_CERTIFICATE_CHAIN_FOUND",
    )
    assert line["previous_indication"] == PASSED
    assert "revalidate" in result.stderr  # progress

    manifest = services.backends.packages.latest_manifest(record_id)
    assert [(v.indication, v.subindication) for v in manifest.validations] == [
        (PASSED, None),
        (INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND"),
    ]
    first, second = (
        services.backends.packages.get_json(v.report_key) for v in manifest.validations
    )
    assert first["indication"] == PASSED and first["trust"]["roots"]
    assert second["indication"] == INDETERMINATE and second["trust"]["roots"] == []

    read = {"Authorization": headers["Authorization"], "X-Dossier-Code": PURPOSE}
    latest = client.get(f"/api/v1/records/{record_id}/verification", headers=read).json()
    assert latest["indication"] == INDETERMINATE
    assert len(latest["validations"]) == 2
    # No longer reusable, at once: gone from the reuse lookup, listed with its blocker.
    assert client.get(f"/api/v1/subjects/{subject}/records", headers=read).json()["total"] == 0
    found = client.get(
        f"/api/v1/subjects/{subject}/records", headers=read, params={"include_invalid": "true"}
    ).json()
    assert found["items"][0]["signature"]["indication"] == INDETERMINATE
    assert found["items"][0]["reuse_blockers"] == ["signature_indeterminate"]
    searched = client.get("/api/v1/search", headers=read, params={"subject_id": subject}).json()
    assert searched["items"][0]["record"]["signature"]["indication"] == INDETERMINATE

    # Trusted again: named records, exit 0.
    result = kho("revalidate", record_id, env=archive_env(settings, stack, tmp_path))
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout)[0]["indication"] == PASSED
    assert len(services.backends.packages.latest_manifest(record_id).validations) == 3
    (item,) = client.get(f"/api/v1/subjects/{subject}/records", headers=read).json()["items"]
    assert (item["record_id"], item["reusable"], item["reuse_blockers"]) == (record_id, True, [])


def test_revalidate_reports_each_record_and_the_worst_exit_code(
    client: TestClient,
    headers: dict[str, str],
    settings: Settings,
    case_pdfs: dict[str, bytes],
    metadata: Meta,
    kho: Kho,
    stack: str,
    tmp_path: Path,
) -> None:
    good = deposit(client, headers, case_pdfs["good"], metadata())["record_id"]
    revoked = deposit(client, headers, case_pdfs["revoked"], metadata())["record_id"]
    tampered = deposit(client, headers, case_pdfs["tampered"], metadata())["record_id"]
    env: dict[str, str | None] = {**archive_env(settings, stack, tmp_path)}

    result = kho("revalidate", good, revoked, "--quiet", env=env)
    assert result.returncode == 2
    assert [line["indication"] for line in lines(result.stdout)] == [PASSED, INDETERMINATE]
    assert result.stderr == ""

    result = kho("revalidate", good, tampered, revoked, "-q", env=env)
    assert result.returncode == 1  # TOTAL-FAILED outranks INDETERMINATE

    missing = "01JD3V7Y8K3N2W6Q4T9ZB5XK1M"
    result = kho("revalidate", good, missing, "-q", env=env)
    assert result.returncode == 1
    out = lines(result.stdout)
    assert out[0]["indication"] == PASSED
    assert out[1]["record_id"] == missing and out[1]["problem"]["type"] == "/problems/not-found"

    result = kho("revalidate", "../../etc", "-q", env=env)
    assert result.returncode == 1
    assert lines(result.stdout)[0]["problem"]["type"] == "/problems/not-found"


def test_revalidate_needs_record_ids_or_all(kho: Kho) -> None:
    for args in ((), ("--all", "01JD3V7Y8K3N2W6Q4T9ZB5XK1M")):
        result = kho("revalidate", *args)
        assert result.returncode == 64
        assert "Traceback" not in result.stderr


def test_revalidation_through_the_api_is_readable_only_with_a_purpose(
    client: TestClient, headers: dict[str, str], case_pdfs: dict[str, bytes], metadata: Meta
) -> None:
    record_id = deposit(client, headers, case_pdfs["good"], metadata())["record_id"]
    auth = {"Authorization": headers["Authorization"]}
    assert_problem(
        client.post(f"/api/v1/records/{record_id}/verification", headers=auth),
        400,
        "missing-purpose",
    )
    read = {**auth, "X-Dossier-Code": PURPOSE}
    assert_problem(
        client.get("/api/v1/records/01JD3V7Y8K3N2W6Q4T9ZB5XK1M/verification", headers=read), 404
    )
