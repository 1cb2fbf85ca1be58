"""`kho lookup` and `kho search` print the API's JSON and are audited like the API; `kho
ingest` lines carry warnings and the duplicate-content conflict; `kho keys create
--on-behalf-of`. The installed command, run as a user runs it, on every requested stack."""

from __future__ import annotations

import getpass
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE, audit_events, deposit
from verification.cases import KHO, archive_env, trust_env

from kho.demo.pki import TestPKI
from kho.services import Services
from kho.settings import Settings

DUC = "001203001234"
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def kho(settings: Settings, stack: str, tmp_path: Path, pki: TestPKI) -> Run:
    """`kho` on the same archive as the `services` fixture."""
    env = {**trust_env(pki), **archive_env(settings, stack, tmp_path)}

    def run(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args],
            capture_output=True,
            text=True,
            env={**env, **(extra or {})},
            cwd=tmp_path,
            timeout=300,
        )

    return run


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def operator() -> str:
    return f"cli:{getpass.getuser()}"


def test_lookup_prints_the_apis_json_and_is_audited(
    kho: Run,
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    signed_pdf: Pdf,
    metadata: Meta,
) -> None:
    good = deposit(client, headers, signed_pdf(), metadata())["record_id"]
    forged = deposit(client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata())[
        "record_id"
    ]
    result = kho("lookup", DUC, "--dossier-code", PURPOSE)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    api = client.get(f"/api/v1/subjects/{DUC}/records", headers=headers).json()
    assert printed == api
    assert [i["record_id"] for i in printed["items"]] == [good]

    result = kho("lookup", DUC, "--dossier-code", PURPOSE, "--include-invalid", "--page-size", "1")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert (printed["total"], printed["page_size"], len(printed["items"])) == (2, 1, 1)
    result = kho(
        "lookup",
        DUC,
        "--dossier-code",
        PURPOSE,
        "--include-invalid",
        "--page",
        "2",
        "--page-size",
        "1",
    )
    # newest first, then by record id: the forged extract (deposited second) is on page 2
    (item,) = json.loads(result.stdout)["items"]
    assert (item["record_id"], item["reuse_blockers"]) == (forged, ["signature_indeterminate"])

    event = [e for e in audit_events(services, action="lookup") if e["actor"].get("user")][-1]
    assert event["actor"] == {"user": operator()}
    assert event["purpose"] == PURPOSE
    assert event["subject_ids"] == [DUC]
    assert event["detail"]["include_invalid"] is True


def test_search_prints_the_apis_json_and_is_audited(
    kho: Run,
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    signed_pdf: Pdf,
    metadata: Meta,
) -> None:
    deposit(client, headers, signed_pdf(), metadata())
    deposit(client, headers, signed_pdf("TRÍCH LỤC", signer="untrusted"), metadata())
    result = kho("search", "tran van duc", "--dossier-code", PURPOSE)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    api = client.get("/api/v1/search", headers=headers, params={"q": "tran van duc"}).json()
    assert printed == api
    assert printed["total"] == 2 and "facets" in printed
    assert sorted(i["record"]["reusable"] for i in printed["items"]) == [False, True]
    filtered = kho("search", "--subject-id", DUC, "--indication", "INDETERMINATE")
    assert filtered.returncode == 0, filtered.stderr
    assert json.loads(filtered.stdout)["total"] == 1

    searches = [e for e in audit_events(services, action="search") if e["actor"].get("user")]
    assert [e["purpose"] for e in searches] == [PURPOSE, None]
    assert all(e["actor"] == {"user": operator()} for e in searches)
    assert searches[1]["detail"]["console"] is True


def test_bad_arguments_are_usage_errors_with_a_problem(kho: Run) -> None:
    missing = kho("lookup", DUC)
    assert missing.returncode == 64 and "--dossier-code" in missing.stderr
    bad_purpose = kho("lookup", DUC, "--dossier-code", "hồ sơ 1")
    assert bad_purpose.returncode == 64
    bad_day = kho("lookup", DUC, "--dossier-code", PURPOSE, "--valid-on", "hôm nay")
    assert bad_day.returncode == 64 and "YYYY-MM-DD" in bad_day.stderr
    bad_subject = kho("lookup", "12345", "--dossier-code", PURPOSE)
    assert bad_subject.returncode == 64
    assert json.loads(bad_subject.stdout)["type"] == "/problems/invalid-query"
    assert bad_subject.stderr.startswith("kho: ")
    bad_page = kho("search", "x", "--page-size", "101")
    assert bad_page.returncode == 64
    for result in (missing, bad_purpose, bad_day, bad_subject, bad_page):
        assert "Traceback" not in result.stderr
    helped = kho("lookup", "--help")
    assert helped.returncode == 0
    assert "số định danh cá nhân" in helped.stdout and "--include-invalid" in helped.stdout
    assert "tìm kiếm toàn văn" in kho("search", "--help").stdout


def test_an_unreachable_index_is_exit_69(kho: Run, stack: str, tmp_path: Path) -> None:
    if stack == "distributed":
        down = {"KHO_ES_URL": "http://127.0.0.1:9"}
    else:
        folder = tmp_path / "broken"
        (folder / "index").mkdir(parents=True)
        (folder / "index" / "kho.sqlite3").write_bytes(b"not a database" * 100)
        down = {"KHO_DATA_DIR": str(folder)}
    for args in (("lookup", DUC, "--dossier-code", PURPOSE), ("search", "x")):
        result = kho(*args, extra=down)
        assert result.returncode == 69, result.stderr
        assert "Traceback" not in result.stderr


def test_ingest_lines_carry_warnings_and_the_duplicate_content_conflict(
    kho: Run, signed_pdf: Pdf, metadata: Meta, tmp_path: Path
) -> None:
    pdf = tmp_path / "khai-sinh.pdf"
    pdf.write_bytes(signed_pdf("GIẤY KHAI SINH", ("Số định danh cá nhân", "001203009999")))
    first, second = metadata(), metadata()
    (tmp_path / "meta.json").write_text(json.dumps([first, second], ensure_ascii=False))
    result = kho("ingest", str(pdf), str(pdf), "--metadata", str(tmp_path / "meta.json"), "-q")
    assert result.returncode == 1, result.stderr
    created, refused = lines(result.stdout)
    assert created["outcome"] == "created"
    assert (created["reusable"], created["reuse_blockers"]) == (True, [])
    assert [w["code"] for w in created["warnings"]] == ["subject_id_not_in_text"]
    assert DUC in created["warnings"][0]["message"]
    assert refused["outcome"] == "conflict"
    assert refused["problem"]["type"] == "/problems/duplicate-content"
    assert refused["record_id"] == refused["problem"]["record_id"] == created["record_id"]
    assert (refused["warnings"], refused["reusable"]) == ([], None)


def test_keys_create_on_behalf_of(kho: Run) -> None:
    result = kho(
        "keys",
        "create",
        "--agency",
        "000.00.00.H62",
        "--scopes",
        "records:write",
        "--on-behalf-of",
        "000.00.15.H62,000.00.16.H62",
    )
    assert result.returncode == 0, result.stderr
    key = json.loads(result.stdout.splitlines()[0])
    assert key["on_behalf_of"] == ["000.00.15.H62", "000.00.16.H62"]
    bad = kho(
        "keys",
        "create",
        "--agency",
        "000.00.00.H62",
        "--scopes",
        "records:write",
        "--on-behalf-of",
        "x y",
    )
    assert bad.returncode == 1 and "on_behalf_of" in bad.stderr


def test_reindex_gives_records_of_an_old_archive_their_content_claims(
    kho: Run,
    client: TestClient,
    headers: dict[str, str],
    services: Services,
    signed_pdf: Pdf,
    metadata: Meta,
) -> None:
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "reindex"))
    record_id = deposit(client, headers, pdf, metadata())["record_id"]
    store = services.backends.store
    for key in list(store.list("content/")):  # as an archive made before content claims
        store.delete(key)
    result = kho("reindex", "-q")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert (report["content_claims_added"], report["duplicate_content"]) == (1, [])
    response = client.post(
        "/api/v1/records",
        headers={"Authorization": headers["Authorization"]},
        files={"file": ("a.pdf", pdf, "application/pdf")},
        data={"metadata": json.dumps(metadata(), ensure_ascii=False)},
    )
    assert response.status_code == 409 and response.json()["record_id"] == record_id
