"""A test PKI made by Kho itself: root and intermediate CAs, agency signers, a TSA, a CRL.

It signs sample results for `kho demo`, the tests and the benchmarks, with no network and
no configuration files: everything is made with `cryptography` (certificates.py) and
signed with pyHanko. Nothing here is meant for real signatures; the private keys are
stored unencrypted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Final

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from kho.demo.certificates import (
    BY_FILE,
    DEJAVU_SANS,
    EXPIRED_SIGNED,
    PROFILES,
    REVOKED,
    SIGNERS,
    UnknownSigner,
    certificate,
    crl,
)

__all__ = ["DEJAVU_SANS", "SIGNERS", "TestPKI", "UnknownSigner", "asn1_cert", "asn1_key"]

_LAYOUT_VERSION: Final = 1


def asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def asn1_key(key: rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


class _PdfSignerAt(signers.PdfSigner):
    """A PdfSigner whose clock can be set, to make signatures "in the past"."""

    def __init__(
        self,
        signature_meta: signers.PdfSignatureMetadata,
        signer: signers.Signer,
        *,
        timestamper: DummyTimeStamper | None,
        signing_time: datetime | None,
    ) -> None:
        super().__init__(signature_meta, signer, timestamper=timestamper)
        self._signing_time = signing_time

    def init_signing_session(
        self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        if self._signing_time is not None:
            session.system_time = self._signing_time
        return session


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key for every signature (about 50 ms
    for RSA); this one keeps it loaded."""

    def __init__(self, key: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class TestPKI:
    """A complete test PKI in one folder; `create` makes it once and loads it afterwards.

    Signers (`SIGNERS`): "agency" and "second" (valid), "expired" (expired a year ago; it
    signs two years back, when it was valid), "revoked" (revoked 30 days ago, listed on the
    CRL), "untrusted" (issued by a root that is not among `root_cert_path`).
    The TSA is in-process (pyHanko's `DummyTimeStamper`), so timestamps need no network and
    can be dated in the past. Revocation is published as DER CRLs (`crl_paths`); the tests
    add OCSP answers and document timestamps (tests/support/pki.py).
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, folder: Path, created_at: datetime) -> None:
        self.folder = folder
        self.created_at = created_at
        self._certs: dict[str, x509.Certificate] = {}
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        for profile in PROFILES:
            self._certs[profile.file] = x509.load_pem_x509_certificate(
                self._cert_path(profile.file).read_bytes()
            )
            key = serialization.load_pem_private_key(
                self._key_path(profile.file).read_bytes(), password=None
            )
            if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - we wrote it
                raise TypeError(f"{profile.file}: expected an RSA key")
            self._keys[profile.file] = key

    # --- creation -------------------------------------------------------------------

    @classmethod
    def create(cls, folder: Path) -> TestPKI:
        """Create the PKI in `folder`, or load it if it is already there (idempotent)."""
        folder = Path(folder)
        marker = folder / "pki.json"
        if marker.is_file():
            info = json.loads(marker.read_text(encoding="utf-8"))
            if info.get("version") == _LAYOUT_VERSION:
                return cls(folder, datetime.fromisoformat(info["created_at"]))
        created_at = datetime.now(UTC).replace(microsecond=0)
        (folder / "certs").mkdir(parents=True, exist_ok=True)
        (folder / "keys").mkdir(parents=True, exist_ok=True)
        (folder / "crl").mkdir(parents=True, exist_ok=True)
        certs: dict[str, x509.Certificate] = {}
        keys: dict[str, rsa.RSAPrivateKey] = {}
        for profile in PROFILES:  # issuers come before the certificates they issue
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            issuer = profile.issuer
            cert = certificate(
                profile,
                key,
                certs[issuer] if issuer else None,
                keys[issuer] if issuer else None,
                created_at,
            )
            certs[profile.file], keys[profile.file] = cert, key
            cls._write(
                folder / "certs" / f"{profile.file}.pem",
                cert.public_bytes(serialization.Encoding.PEM),
            )
            cls._write(
                folder / "keys" / f"{profile.file}.key.pem",
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ),
                private=True,
            )
        revoked = {certs["revoked"].serial_number: created_at + REVOKED}
        for ca in ("root-ca", "intermediate-ca", "rogue-root-ca"):
            cls._write(
                folder / "crl" / f"{ca}.crl",
                crl(
                    certs[ca], keys[ca], revoked if ca == "intermediate-ca" else {}, created_at
                ),
            )
        cls._write(
            marker,
            json.dumps(
                {"version": _LAYOUT_VERSION, "created_at": created_at.isoformat()}, indent=2
            ).encode("utf-8"),
        )
        return cls(folder, created_at)

    @staticmethod
    def _write(path: Path, data: bytes, *, private: bool = False) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        if private:
            tmp.chmod(0o600)
        tmp.replace(path)

    # --- files for trust settings ---------------------------------------------------

    def _cert_path(self, name: str) -> Path:
        return self.folder / "certs" / f"{name}.pem"

    def _key_path(self, name: str) -> Path:
        return self.folder / "keys" / f"{name}.key.pem"

    @property
    def root_cert_path(self) -> Path:
        """The trust anchor (for `KHO_TRUST_ROOTS`)."""
        return self._cert_path("root-ca")

    @property
    def untrusted_root_cert_path(self) -> Path:
        """The root of the "untrusted" signer: never put it among the trust roots."""
        return self._cert_path("rogue-root-ca")

    @property
    def intermediate_cert_paths(self) -> list[Path]:
        """Intermediate CA certificates (for `trust_intermediates`)."""
        return [self._cert_path("intermediate-ca")]

    @property
    def crl_paths(self) -> list[Path]:
        """DER CRLs of the trusted CAs; the intermediate's lists the "revoked" signer."""
        return [self.folder / "crl" / "root-ca.crl", self.folder / "crl" / "intermediate-ca.crl"]

    @property
    def expired_signing_time(self) -> datetime:
        """When the "expired" signer signs by default (within its validity)."""
        return self.created_at + EXPIRED_SIGNED

    @property
    def revoked_at(self) -> datetime:
        """When the "revoked" signer's certificate was revoked (on the CRL)."""
        return self.created_at + REVOKED

    def signer_certificate(self, signer: str) -> x509.Certificate:
        """The certificate of one of `SIGNERS`, or of "tsa"."""
        if signer not in SIGNERS and signer != "tsa":
            raise UnknownSigner(f"unknown signer {signer!r}; one of {', '.join(SIGNERS)}")
        return self._certs[signer]

    def write_pkcs12(self, path: Path, password: str, signer: str = "agency") -> Path:
        """The signer's key, certificate and chain as a PKCS#12 file (`KHO_SIGNING_PKCS12`,
        for trying `kho digitize`): encrypted with `password`."""
        from cryptography.hazmat.primitives.serialization import pkcs12

        data = pkcs12.serialize_key_and_certificates(
            signer.encode(),
            self._keys[signer],
            self.signer_certificate(signer),
            [self._certs["intermediate-ca"]],
            serialization.BestAvailableEncryption(password.encode()),
        )
        self._write(path, data, private=True)
        return path

    # --- signing --------------------------------------------------------------------

    def sign_pdf(
        self,
        pdf: bytes,
        signer: str = "agency",
        *,
        timestamp: bool = False,
        signing_time: datetime | None = None,
        field_name: str | None = None,
    ) -> bytes:
        """Sign `pdf` (PAdES, SHA-256) as `signer`; an incremental update, so signing a
        signed PDF adds a second signature. With `timestamp`, an RFC 3161 signature
        timestamp dated `signing_time` (or now) is added. The "expired" signer signs at
        `expired_signing_time` unless told otherwise."""
        if signer == "tsa":
            raise UnknownSigner("the TSA does not sign documents")
        cert = self.signer_certificate(signer)
        if signing_time is None and signer == "expired":
            signing_time = self.expired_signing_time
        chain = [] if BY_FILE[signer].issuer == "rogue-root-ca" else ["intermediate-ca"]
        pdf_signer_identity = _LoadedKeySigner(
            self._keys[signer],
            signing_cert=asn1_cert(cert),
            signing_key=asn1_key(self._keys[signer]),
            cert_registry=self._store(chain),
        )
        timestamper = self._timestamper(signing_time) if timestamp else None
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        if writer.prev.encrypted:  # only files with an empty user password can be signed
            writer.encrypt(b"")  # type: ignore[no-untyped-call]
        if field_name is None:
            taken = {name for name, _, _ in fields.enumerate_sig_fields(writer.prev)}
            field_name = next(
                f"Signature{n}" for n in range(1, 1000) if f"Signature{n}" not in taken
            )
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Ký số kết quả giải quyết thủ tục hành chính",
            location="Lai Châu, Việt Nam",
        )
        out = _PdfSignerAt(
            meta, pdf_signer_identity, timestamper=timestamper, signing_time=signing_time
        ).sign_pdf(writer)
        data: bytes = out.getvalue()
        return data

    def _store(self, names: list[str]) -> SimpleCertificateStore:
        certs = [asn1_cert(self._certs[name]) for name in names]
        store: SimpleCertificateStore = SimpleCertificateStore.from_certs(certs)  # type: ignore[no-untyped-call]
        return store

    def _timestamper(self, at: datetime | None) -> DummyTimeStamper:
        return DummyTimeStamper(
            tsa_cert=asn1_cert(self._certs["tsa"]),
            tsa_key=asn1_key(self._keys["tsa"]),
            certs_to_embed=self._store(["intermediate-ca"]),
            fixed_dt=at,
        )
