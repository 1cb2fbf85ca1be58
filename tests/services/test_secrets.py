"""The server secret (HMAC key of API keys and download links) stays out of the object
store: in a 0600 file outside KHO_DATA_DIR, moved there once from an older archive's store,
and never read from the store again."""

from __future__ import annotations

import stat

import pytest

from kho.services import Access, Services
from kho.services.secrets import LEGACY_SECRET_KEY, SECRET_MARKER, SecretsError
from kho.settings import Settings
from kho.wiring import build_services

AGENCY = "000.00.15.H62"


def new_key(services: Services) -> str:
    _key, token = services.keys.create(
        agency=AGENCY, scopes=frozenset({"records:read"}), access=Access.system()
    )
    return token


def test_the_secret_is_a_private_file_outside_the_data_and_not_in_the_store(
    services: Services, settings: Settings
) -> None:
    token = new_key(services)
    store = services.backends.store
    assert list(store.list("secrets/")) == []
    path = settings.secrets_folder / "api-key-hmac.key"
    assert not path.resolve().is_relative_to(settings.data_dir.resolve())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(path.read_bytes()) == 32
    assert path.read_bytes() not in b"".join(store.get(k) for k in store.list("config/"))
    # Another process on the same archive uses the same file.
    other = build_services(settings)
    try:
        assert other.keys.authenticate(token).agency == AGENCY
    finally:
        other.close()


def test_an_older_archives_stored_secret_is_moved_out_once(settings: Settings) -> None:
    first = build_services(settings)
    store = first.backends.store
    legacy = bytes(range(32))
    store.put(LEGACY_SECRET_KEY, legacy)  # as an older Kho left it, mode 0644 on disk
    try:
        token = new_key(first)  # hashed under the old secret, as older keys were
    finally:
        first.close()
    path = settings.secrets_folder / "api-key-hmac.key"
    assert path.read_bytes() == legacy
    assert not store.exists(LEGACY_SECRET_KEY)
    # A secret planted in the store later is never read: keys still check under the file's.
    store.put(LEGACY_SECRET_KEY, b"x" * 32)
    again = build_services(settings)
    try:
        assert again.keys.authenticate(token).agency == AGENCY
        assert not again.backends.store.exists(LEGACY_SECRET_KEY)
    finally:
        again.close()


def test_a_server_without_the_file_is_refused_rather_than_making_another_secret(
    services: Services, settings: Settings
) -> None:
    new_key(services)
    assert services.backends.store.exists(SECRET_MARKER)
    (settings.secrets_folder / "api-key-hmac.key").unlink()
    newcomer = build_services(settings)
    try:
        with pytest.raises(SecretsError, match="copy that file"):
            new_key(newcomer)
        # Nor does a secret planted in the store get adopted.
        newcomer.backends.store.put(LEGACY_SECRET_KEY, b"p" * 32)
        with pytest.raises(SecretsError, match="planted"):
            build_services(settings).keys.secret.get()
    finally:
        newcomer.close()


def test_a_secret_file_others_can_read_is_refused(services: Services, settings: Settings) -> None:
    new_key(services)
    path = settings.secrets_folder / "api-key-hmac.key"
    path.chmod(0o644)
    other = build_services(settings)
    try:
        with pytest.raises(SecretsError, match="chmod 600"):
            new_key(other)
    finally:
        other.close()
