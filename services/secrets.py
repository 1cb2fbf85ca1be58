"""The server secret: the HMAC key that API keys are hashed with and download links are
signed with. It is never kept in the object store, whose readers must not be able to mint
a link or check a guessed key offline.

Where it comes from, in order: `KHO_API_KEY_SECRET`; else the file
`<KHO_SECRETS_DIR>/api-key-hmac.key` (mode 0600, made on first use). An archive made by an
older Kho kept the secret in the store (`secrets/api-key-hmac.key`); the first process that
finds it there moves it into the file and removes it from the store, and from then on Kho
never reads a secret from the store again.

The store does keep a marker (`config/api-key-secret.json`) with the secret's fingerprint
(a one-way hash, useless for minting): a second server sharing the store but lacking the
file is then refused with a clear message instead of silently making a secret of its own,
under which every existing key would stop working.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import socket
import threading

from kho.archive.errors import ObjectExists, ObjectNotFound, ObjectProtected
from kho.archive.secret_files import SecretFileError, create_private, read_private
from kho.archive.store import ObjectStore
from kho.settings import Settings, SettingsError

__all__ = ["LEGACY_SECRET_KEY", "SECRET_MARKER", "SecretsError", "ServerSecret", "fingerprint"]

log = logging.getLogger(__name__)

LEGACY_SECRET_KEY = "secrets/api-key-hmac.key"  # noqa: S105 - an object key, not a secret
SECRET_MARKER = "config/api-key-secret.json"  # noqa: S105 - holds a fingerprint only
_FILE = "api-key-hmac.key"


class SecretsError(SettingsError):
    """The server secret cannot be had safely; the message says what to do (CLI exit 78)."""


def fingerprint(secret: bytes) -> str:
    """A short one-way name of a secret, safe to store and to print."""
    return hmac.new(secret, b"kho:fingerprint", hashlib.sha256).hexdigest()[:16]


class ServerSecret:
    def __init__(self, settings: Settings, store: ObjectStore) -> None:
        self.settings = settings
        self.store = store
        self.path = settings.secrets_folder / _FILE
        self._value: bytes | None = None
        self._lock = threading.Lock()

    def get(self) -> bytes:
        with self._lock:
            if self._value is None:
                try:
                    self._value = self._resolve()
                except SecretFileError as exc:
                    raise SecretsError(f"KHO_SECRETS_DIR: {exc}") from None
            return self._value

    # -- finding it --------------------------------------------------------------------

    def _marker(self) -> str | None:
        try:
            data = json.loads(self.store.get(SECRET_MARKER))
        except ObjectNotFound:
            return None
        except ValueError:
            return "unreadable"
        value = data.get("fingerprint") if isinstance(data, dict) else None
        return str(value) if value else "unreadable"

    def _legacy(self) -> bytes | None:
        try:
            return self.store.get(LEGACY_SECRET_KEY)
        except ObjectNotFound:
            return None

    def _resolve(self) -> bytes:
        configured = self.settings.api_key_secret
        legacy = self._legacy()
        marker = self._marker()
        if configured is not None:
            secret = configured.get_secret_value().encode()
            if legacy is not None:
                # Unused while the setting is set, but it may be what older keys were made
                # with: keep it in the file (if none is there yet), out of the store.
                create_private(self.path, legacy)
                self._drop_legacy()
            self._mark(secret, marker, source="KHO_API_KEY_SECRET")
            return secret
        held = read_private(self.path)
        made_here = False
        if held is None and legacy is not None:
            if marker is not None and marker != fingerprint(legacy):
                raise SecretsError(
                    f"the store holds a secret at {LEGACY_SECRET_KEY} that is not the one its "
                    f"keys were made with (fingerprint {marker}); it was planted or is stale. "
                    f"Copy the archive's {_FILE} into {self.path.parent} or set "
                    "KHO_API_KEY_SECRET"
                )
            held = create_private(self.path, legacy)
            log.warning("moved the API-key secret out of the object store into %s", self.path)
        if held is None:
            if marker is not None:
                raise SecretsError(
                    f"this archive's API keys were made with a secret (fingerprint {marker}) "
                    f"that lives outside the object store, and {self.path} is missing here: "
                    "copy that file from the server that made it (mode 0600), or set "
                    "KHO_API_KEY_SECRET"
                )
            held = create_private(self.path, secrets.token_bytes(32))
            made_here = True
        if legacy is not None:
            self._drop_legacy()
        self._mark(held, marker, source=str(self.path), made_here=made_here)
        return held

    def _drop_legacy(self) -> None:
        with contextlib.suppress(ObjectNotFound, ObjectProtected):
            self.store.delete(LEGACY_SECRET_KEY)

    def _mark(
        self, secret: bytes, marker: str | None, *, source: str, made_here: bool = False
    ) -> None:
        mine = fingerprint(secret)
        if marker is None:
            body = {"fingerprint": mine, "kept_in": source, "host": socket.gethostname()}
            try:
                self.store.put(SECRET_MARKER, json.dumps(body).encode(), create_only=True)
                return
            except ObjectExists:
                marker = self._marker()
        if marker == mine:
            return
        if made_here:
            # Another server made the archive's secret at the same moment: use none of ours.
            self.path.unlink(missing_ok=True)
            raise SecretsError(
                f"another server made this archive's API-key secret (fingerprint {marker}) "
                f"just now; copy its {_FILE} into {self.path.parent}, or set KHO_API_KEY_SECRET"
            )
        log.warning(
            "the API-key secret in use (%s, fingerprint %s) is not the one the store's marker "
            "names (%s): keys made under the other one will not authenticate",
            source,
            mine,
            marker,
        )
