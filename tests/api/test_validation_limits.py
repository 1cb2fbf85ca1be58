"""Signature validation bounded in time and memory (archive/signatures/bounded.py): a
signed file followed by an update of hundreds of thousands of objects costs pyHanko
seconds and hundreds of megabytes; past KHO_VALIDATION_TIMEOUT_S or
KHO_VALIDATION_MEMORY_MB it is refused with a 422 problem, nothing is kept, and the next
deposit is served by a fresh worker."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.api import PURPOSE
from support.bombs import with_empty_objects

from kho.archive.signatures import TrustConfig, ValidationLimit, ValidationLimits, validate_bounded
from kho.demo.pki import TestPKI
from kho.errors import UnreadableDocument
from kho.server import create_app
from kho.services import Access, Services
from kho.settings import Settings
from kho.wiring import build_services

OBJECTS = 300_000  # about 16 MB; seconds of validation and some 300 MB here


@pytest.fixture(scope="module")
def heavy(pki: TestPKI, signed_pdf: Callable[..., bytes]) -> bytes:
    return with_empty_objects(signed_pdf("GIẤY KHAI SINH", ("Số", "nặng")), OBJECTS)


def _trust(pki: TestPKI) -> TrustConfig:
    return TrustConfig.from_paths([pki.root_cert_path], list(pki.intermediate_cert_paths))


def test_past_the_time_limit_validation_stops_and_the_next_file_is_judged(
    pki: TestPKI, heavy: bytes, signed_pdf: Callable[..., bytes]
) -> None:
    limits = ValidationLimits(timeout_s=0.5, memory_bytes=2048 * 2**20, workers=2)
    started = time.monotonic()
    with pytest.raises(ValidationLimit, match=r"longer than 0\.5 s") as refused:
        validate_bounded(heavy, _trust(pki), limits)
    assert time.monotonic() - started < 10  # cut off, not run to its end
    assert isinstance(refused.value, UnreadableDocument)  # a 422 at the door
    report = validate_bounded(signed_pdf(), _trust(pki), limits)
    assert report.summary()["indication"] == "TOTAL-PASSED"


def test_past_the_memory_limit_it_is_refused_not_judged(
    pki: TestPKI, heavy: bytes, signed_pdf: Callable[..., bytes]
) -> None:
    tight = ValidationLimits(timeout_s=120, memory_bytes=300 * 2**20, workers=2)
    with pytest.raises(ValidationLimit, match="more than 300 MB"):
        validate_bounded(heavy, _trust(pki), tight)
    # The same file within a roomier limit: judged on its merits (the update only adds
    # unreferenced objects), so the refusal above was the limit's doing.
    roomy = ValidationLimits(timeout_s=120, memory_bytes=2048 * 2**20, workers=2)
    assert validate_bounded(heavy, _trust(pki), roomy).summary()["indication"] == "TOTAL-PASSED"
    assert validate_bounded(signed_pdf(), _trust(pki), tight).summary()["indication"] == (
        "TOTAL-PASSED"
    )


@pytest.fixture
def limited(settings: Settings) -> Iterator[TestClient]:
    services: Services = build_services(settings.model_copy(update={"validation_timeout_s": 0.5}))
    try:
        with TestClient(create_app(services, outbox_worker=False)) as client:
            client.services = services  # type: ignore[attr-defined]
            yield client
    finally:
        services.close()


def test_a_deposit_past_the_limit_gets_a_problem_and_leaves_nothing(
    limited: TestClient,
    heavy: bytes,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
) -> None:
    services: Services = limited.services  # type: ignore[attr-defined]
    _key, token = services.keys.create(
        agency="000.00.15.H62",
        scopes=frozenset({"records:read", "records:write"}),
        access=Access.system(),
    )
    auth = {"Authorization": f"Bearer {token}"}

    def deposit(pdf: bytes) -> Any:
        return limited.post(
            "/api/v1/records",
            headers=auth,
            files={"file": ("kq.pdf", pdf, "application/pdf")},
            data={"metadata": json.dumps(metadata(), ensure_ascii=False)},
        )

    refused = deposit(heavy)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert problem["title"] == "Over the validation limits"
    assert "KHO_VALIDATION_TIMEOUT_S" in problem["detail"]
    for prefix in ("originals/", "records/", "claims/"):
        assert list(services.backends.store.list(prefix)) == [], prefix
    verified = limited.post("/api/v1/verify", headers=auth, files={"file": ("kq.pdf", heavy)})
    assert verified.status_code == 422, verified.text

    kept = deposit(signed_pdf())
    assert kept.status_code == 201, kept.text
    found = limited.get(
        "/api/v1/subjects/001203001234/records", headers={**auth, "X-Dossier-Code": PURPOSE}
    )
    assert [item["record_id"] for item in found.json()["items"]] == [kept.json()["record_id"]]
