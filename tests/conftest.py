"""Fixtures that build real objects: a test PKI, signed PDFs, a whole Kho per test on the
requested backends (tests/support/backends.py), an HTTP client and an API key."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from support.backends import clean_up, clean_up_session, requested, settings_overrides
from support.pki import TestPKI

from kho.demo.documents import ResultDocument, render_pdf
from kho.server import create_app
from kho.services import Services
from kho.settings import Settings, load_settings
from kho.wiring import build_services

# Tests see only the settings they set themselves. The variables of the test run and of
# scripts/services (which the outage tests call to stop and start a server on its own
# ports) stay: none of them is a Kho setting.
_KEPT = {
    "KHO_TEST_BACKENDS",
    "KHO_SERVICES_DIR",
    "KHO_CACHE_DIR",
    "KHO_SYSTEM_CACHE_DIR",
    "KHO_ES_PORT",
    "KHO_ES_TRANSPORT_PORT",
    "KHO_MINIO_PORT",
    "KHO_MINIO_CONSOLE_PORT",
    "KHO_TIKA_PORT",
    "KHO_ES_USER",
    "KHO_ES_JAVA_HOME",
    "KHO_JVM_DIRS",
    "KHO_MAVEN_REPO",
    "KHO_START_TIMEOUT",
    "KHO_STOP_TIMEOUT",
    "KHO_SCREENSHOTS_DIR",  # where the browser tests put their screenshots (scripts/screenshots)
}
for _name in list(os.environ):
    if _name.startswith("KHO_") and _name not in _KEPT:
        del os.environ[_name]

ALL_SCOPES = (
    "records:read,records:write,retention:manage,audit:read,subjects:access-log,keys:manage"
)
TODAY = date.today()
_seq = itertools.count(1)


def pytest_report_header(config: pytest.Config) -> str:
    return f"kho backends under test: {', '.join(requested())}"


@pytest.fixture(scope="session", autouse=True)
def _sweep_test_buckets_and_indices() -> Iterator[None]:
    """At the end of the session, remove what distributed tests left on the shared servers."""
    yield
    clean_up_session()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def make_pdf() -> Callable[..., bytes]:
    """An unsigned one-page Vietnamese result with the given facts."""

    def make(title: str = "GIẤY KHAI SINH", *facts: tuple[str, str], body: str = "") -> bytes:
        return render_pdf(
            ResultDocument(
                authority="ỦY BAN NHÂN DÂN\nXÃ TÂN PHONG",
                title=title,
                notation="Số: 1/2026",
                facts=list(facts) or [("Họ, chữ đệm, tên", "TRẦN VĂN ĐỨC")],
                place="Tân Phong",
                issued_on=date(2026, 1, 2),
                signer_title="CHỦ TỊCH",
                signer_name="Hoàng Văn Thắng",
                body=body,
            )
        )

    return make


@pytest.fixture(scope="session")
def signed_pdf(pki: TestPKI, make_pdf: Callable[..., bytes]) -> Callable[..., bytes]:
    """A signed result: signed_pdf("GIẤY KHAI SINH", ("Họ tên", "Trần Văn Đức"), signer=...)."""
    cache: dict[Any, bytes] = {}

    def make(
        title: str = "GIẤY KHAI SINH",
        *facts: tuple[str, str],
        signer: str = "agency",
        body: str = "",
    ) -> bytes:
        key = (title, facts, signer, body)
        if key not in cache:
            cache[key] = pki.sign_pdf(make_pdf(title, *facts, body=body), signer)
        return cache[key]

    return make


@pytest.fixture(params=requested())
def stack(request: pytest.FixtureRequest) -> str:
    """Each API, CLI and service test runs once per requested stack."""
    return str(request.param)


@pytest.fixture
def settings(stack: str, tmp_path: Path, pki: TestPKI) -> Iterator[Settings]:
    built = load_settings(
        _env_file=None,
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
        crls=list(pki.crl_paths),
        **settings_overrides(stack, tmp_path),
    )
    yield built
    clean_up(built)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services, outbox_worker=False)) as test_client:
        yield test_client


@pytest.fixture
def make_key(services: Services) -> Callable[..., str]:
    from kho.services import Access

    def make(scopes: str = ALL_SCOPES, agency: str = "000.00.15.H62", **kwargs: Any) -> str:
        _key, token = services.keys.create(
            agency=agency,
            scopes=frozenset(scopes.split(",")),
            access=Access.system(),
            **kwargs,
        )
        return token

    return make


@pytest.fixture
def headers(make_key: Callable[..., str]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {make_key()}",
        "X-Dossier-Code": "000.00.15.H62-261123-0001",
    }


@pytest.fixture
def metadata() -> Callable[..., dict[str, Any]]:
    """Valid deposit metadata with a fresh result code; keyword arguments override fields."""

    def make(**fields: Any) -> dict[str, Any]:
        seq = next(_seq)
        issued = fields.pop("issued_on", (TODAY - timedelta(days=10)).isoformat())
        dossier = f"000.00.15.H62-{date.fromisoformat(issued):%y%m%d}-{seq:04d}"
        meta: dict[str, Any] = {
            "issuer_code": "000.00.15.H62",
            "result_code": f"{dossier}-KQ1",
            "dossier_code": dossier,
            "procedure_code": "1.001193",
            "procedure_name": "Thủ tục đăng ký khai sinh",
            "result_type": "Giấy khai sinh",
            "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Trần Văn Đức"}],
            "issued_on": issued,
        }
        meta.update(fields)
        return {k: v for k, v in meta.items() if v is not ...}

    return make
