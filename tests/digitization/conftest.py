"""Digitization fixtures: the agency's key as a PKCS#12 file, a whole Kho that signs with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from support.tokens import P12_PASSWORD, Token, make_pkcs12, make_softhsm_token

from kho.demo.pki import TestPKI
from kho.services import Services
from kho.settings import Settings
from kho.wiring import build_services


@pytest.fixture(scope="session")
def p12(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pkcs12(pki, tmp_path_factory.mktemp("p12"))


@pytest.fixture(scope="session")
def softhsm_token(pki: TestPKI, tmp_path_factory: pytest.TempPathFactory) -> Token:
    """One token per test process: SoftHSM2 reads its configuration once, when the PKCS#11
    module is first loaded."""
    return make_softhsm_token(pki, tmp_path_factory.mktemp("softhsm"))


@pytest.fixture
def signing_settings(settings: Settings, p12: Path) -> Settings:
    return settings.model_copy(
        update={"signing_pkcs12": p12, "signing_pkcs12_password": SecretStr(P12_PASSWORD)}
    )


@pytest.fixture
def dservices(signing_settings: Settings) -> Iterator[Services]:
    built = build_services(signing_settings)
    try:
        yield built
    finally:
        built.close()
