"""The agency's signature on a digitized copy: PAdES B-B with pyHanko, or B-T when a TSA is
configured, with the key from a PKCS#12 file or a PKCS#11 token (HSM, USB token).

The signature's reason says, in Vietnamese, that the file is a digitized copy of the paper
original: the copy is the agency's, not the original signer's (DOMAIN.md: the person who
digitized signs the copy). The signature is an incremental update, so the PDF/A the OCR
made stays intact beneath it.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Final

import httpx
from asn1crypto import tsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, set_tsp_headers

from kho.digitization.errors import SigningFailed, SigningNotConfigured
from kho.settings import Settings

__all__ = ["REASON", "AgencySigner", "SigningConfig"]

REASON: Final = (
    "Bản sao điện tử được số hóa từ bản chính (bản giấy) kết quả giải quyết thủ tục hành chính"
)
_FIELD: Final = "KhoSoHoa"


@dataclass(frozen=True)
class SigningConfig:
    """Where the agency's key is; exactly one of a PKCS#12 file or a PKCS#11 token."""

    pkcs12: Path | None = None
    pkcs12_password: str | None = None
    pkcs11_module: Path | None = None
    pkcs11_token: str | None = None
    pkcs11_pin: str | None = None
    key_label: str | None = None
    tsa_url: str | None = None
    location: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningConfig:
        def secret(value: Any) -> str | None:
            return value.get_secret_value() if value is not None else None

        return cls(
            pkcs12=settings.signing_pkcs12,
            pkcs12_password=secret(settings.signing_pkcs12_password),
            pkcs11_module=settings.signing_pkcs11_module,
            pkcs11_token=settings.signing_pkcs11_token,
            pkcs11_pin=secret(settings.signing_pkcs11_pin),
            key_label=settings.signing_key_label,
            tsa_url=settings.tsa_url or None,
            location=settings.signing_location,
        )

    def check(self) -> None:
        """SigningNotConfigured naming the first missing setting, unless a key is set."""
        if self.pkcs12 is None and self.pkcs11_module is None:
            raise SigningNotConfigured(
                "no signing key: set KHO_SIGNING_PKCS12 (with KHO_SIGNING_PKCS12_PASSWORD), "
                "or KHO_SIGNING_PKCS11_MODULE with KHO_SIGNING_PKCS11_TOKEN, "
                "KHO_SIGNING_PKCS11_PIN and KHO_SIGNING_KEY_LABEL",
                setting="KHO_SIGNING_PKCS12",
            )
        if self.pkcs12 is not None:
            if not self.pkcs12.is_file():
                raise SigningNotConfigured(
                    f"KHO_SIGNING_PKCS12: no file {self.pkcs12}", setting="KHO_SIGNING_PKCS12"
                )
            return
        for name, value in (
            ("KHO_SIGNING_PKCS11_TOKEN", self.pkcs11_token),
            ("KHO_SIGNING_PKCS11_PIN", self.pkcs11_pin),
            ("KHO_SIGNING_KEY_LABEL", self.key_label),
        ):
            if not value:
                raise SigningNotConfigured(
                    f"{name} is not set (needed with KHO_SIGNING_PKCS11_MODULE)", setting=name
                )
        assert self.pkcs11_module is not None
        if not self.pkcs11_module.is_file():
            raise SigningNotConfigured(
                f"KHO_SIGNING_PKCS11_MODULE: no file {self.pkcs11_module}",
                setting="KHO_SIGNING_PKCS11_MODULE",
            )


class _HttpxTimeStamper(TimeStamper):
    """RFC 3161 over HTTP with httpx (Kho's one HTTP client), for PAdES B-T."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.url = url
        self.timeout = timeout

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(
                    self.url, content=req.dump(), headers=set_tsp_headers({})
                )
        except httpx.HTTPError as exc:
            raise TimestampRequestError(f"the TSA at {self.url} did not answer: {exc}") from exc
        if response.headers.get("content-type") != "application/timestamp-reply":
            raise TimestampRequestError(f"the TSA at {self.url} sent no timestamp reply")
        return tsp.TimeStampResp.load(response.content)


def _common_name(signer: signers.Signer) -> str:
    cert = signer.signing_cert
    if cert is None:
        raise SigningFailed("the signing key has no certificate")
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)


class AgencySigner:
    """Signs digitized copies with the configured key; one per process, safe across
    threads (a token session does one operation at a time, so signing is serialised)."""

    def __init__(self, config: SigningConfig) -> None:
        config.check()
        self.config = config
        self._lock = threading.Lock()
        self._session: Any = None
        self._signer = self._open(config)
        self.signed_by = _common_name(self._signer)
        self._check_validity()
        self._timestamper = _HttpxTimeStamper(config.tsa_url) if config.tsa_url else None

    @property
    def profile(self) -> str:
        return "PAdES-B-T" if self._timestamper is not None else "PAdES-B-B"

    def _open(self, config: SigningConfig) -> signers.Signer:
        if config.pkcs12 is not None:
            password = config.pkcs12_password.encode() if config.pkcs12_password else None
            try:
                signer: signers.Signer = signers.SimpleSigner.load_pkcs12_data(
                    config.pkcs12.read_bytes(), other_certs=(), passphrase=password
                )
            except (OSError, ValueError):
                setting = (
                    "KHO_SIGNING_PKCS12_PASSWORD" if password is None else "KHO_SIGNING_PKCS12"
                )
                raise SigningNotConfigured(
                    f"KHO_SIGNING_PKCS12: {config.pkcs12} cannot be opened "
                    + (
                        "(no KHO_SIGNING_PKCS12_PASSWORD is set)"
                        if password is None
                        else "with KHO_SIGNING_PKCS12_PASSWORD"
                    ),
                    setting=setting,
                ) from None
            return signer
        return self._open_pkcs11(config)

    def _open_pkcs11(self, config: SigningConfig) -> signers.Signer:
        from pkcs11.exceptions import PKCS11Error as TokenError
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.general import SigningError
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        try:
            self._session = open_pkcs11_session(
                str(config.pkcs11_module),
                token_criteria=TokenCriteria(label=config.pkcs11_token),
                user_pin=config.pkcs11_pin,
            )
            signer: signers.Signer = PKCS11Signer(
                self._session, key_label=config.key_label, other_certs_to_pull=None
            )
            # Loads the certificate now, so that a wrong label fails here, not mid-batch.
            _common_name(signer)
        except (TokenError, SigningError, OSError, RuntimeError) as exc:
            self.close()
            raise SigningNotConfigured(
                f"the PKCS#11 token {config.pkcs11_token!r} ({config.pkcs11_module}) has no "
                f"usable key {config.key_label!r}: {type(exc).__name__} {exc}",
                setting="KHO_SIGNING_KEY_LABEL",
            ) from None
        return signer

    def _check_validity(self) -> None:
        cert = self._signer.signing_cert
        assert cert is not None
        now = datetime.now(UTC)
        not_after = cert["tbs_certificate"]["validity"]["not_after"].native
        not_before = cert["tbs_certificate"]["validity"]["not_before"].native
        if not not_before <= now <= not_after:
            raise SigningFailed(
                f"the signing certificate of {self.signed_by} is valid from {not_before:%Y-%m-%d} "
                f"to {not_after:%Y-%m-%d}, not today"
            )

    def sign(self, pdf: bytes) -> bytes:
        """The copy signed by the agency (an incremental update of `pdf`)."""
        meta = signers.PdfSignatureMetadata(
            field_name=_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=REASON,
            location=self.config.location,
        )
        with self._lock:
            try:
                writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
                out = signers.PdfSigner(meta, self._signer, timestamper=self._timestamper).sign_pdf(
                    writer
                )
            except TimestampRequestError as exc:
                raise SigningFailed(f"no timestamp (KHO_TSA_URL): {exc}") from None
            except Exception as exc:  # a token or library failure: said, never a traceback
                raise SigningFailed(f"signing failed: {type(exc).__name__}: {exc}") from None
        data: bytes = out.getvalue()
        return data

    def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            # Closing a token session that is already gone is not worth an error.
            with contextlib.suppress(Exception):
                session.close()
