"""A test PKI made by Kho itself: root and intermediate CAs, agency signers, a TSA, a CRL.

It signs sample results for `kho demo`, the tests and the benchmarks, with no network and
no configuration files: everything is made with `cryptography` and signed with pyHanko.
Nothing here is meant for real signatures; the private keys are stored unencrypted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any, Final

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSigningSession
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

__all__ = ["SIGNERS", "TestPKI", "UnknownSigner", "sample_result_pdf"]

SIGNERS: Final = ("agency", "second", "expired", "revoked", "untrusted")
"""The signers of the test PKI, by the name `TestPKI.sign_pdf` takes."""

DEJAVU_SANS: Final = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

_LAYOUT_VERSION: Final = 1
_CRL_BASE: Final = "http://pki.kho.test"
_OCSP_URL: Final = "http://ocsp.kho.test"
_DAY: Final = timedelta(days=1)


class UnknownSigner(ValueError):
    """`sign_pdf` was asked for a signer the test PKI does not have."""


def _name(common_name: str, organization: str, locality: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
    ]
    if locality is not None:
        attributes.append(x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


@dataclass(frozen=True)
class _Profile:
    """How one certificate of the test PKI is made, relative to the PKI's creation time."""

    file: str
    subject: x509.Name
    issuer: str | None  # file of the issuing CA, None = self-signed
    not_before: timedelta
    not_after: timedelta
    kind: str  # "ca" | "signer" | "tsa"


# Vietnamese subject names, as on real agency certificates (UTF8String).
_PROFILES: Final = (
    _Profile(
        "root-ca",
        _name("Kho Test Root CA", "Kho - chứng thực thử nghiệm"),
        None,
        -10 * 365 * _DAY,
        20 * 365 * _DAY,
        "ca",
    ),
    _Profile(
        "intermediate-ca",
        _name("Kho Test CA chuyên dùng Chính phủ", "Kho - chứng thực thử nghiệm"),
        "root-ca",
        -9 * 365 * _DAY,
        15 * 365 * _DAY,
        "ca",
    ),
    _Profile(
        "rogue-root-ca",
        _name("Rogue Root CA (không tin cậy)", "Không rõ"),
        None,
        -10 * 365 * _DAY,
        20 * 365 * _DAY,
        "ca",
    ),
    _Profile(
        "agency",
        _name("UBND xã Tân Phong", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    _Profile(
        "second",
        _name("Sở Tư pháp tỉnh Lai Châu", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    _Profile(
        "expired",
        _name("UBND phường Đông Phong (chứng thư đã hết hạn)", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -3 * 365 * _DAY,
        -365 * _DAY,
        "signer",
    ),
    _Profile(
        "revoked",
        _name("UBND xã Bản Bo (chứng thư bị thu hồi)", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    _Profile(
        "untrusted",
        _name("UBND xã Giả Mạo", "Không rõ"),
        "rogue-root-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    _Profile(
        "tsa",
        _name("Kho Test TSA", "Kho - chứng thực thử nghiệm"),
        "intermediate-ca",
        -9 * 365 * _DAY,
        10 * 365 * _DAY,
        "tsa",
    ),
)
_BY_FILE: Final = {p.file: p for p in _PROFILES}

# When the expired signer signed (it was valid then) and when the revoked one was revoked.
_EXPIRED_SIGNED: Final = -2 * 365 * _DAY
_REVOKED: Final = -30 * _DAY


def _certificate(
    profile: _Profile,
    key: rsa.RSAPrivateKey,
    issuer_cert: x509.Certificate | None,
    issuer_key: rsa.RSAPrivateKey | None,
    origin: datetime,
) -> x509.Certificate:
    issuer_name = profile.subject if issuer_cert is None else issuer_cert.subject
    signing_key = key if issuer_key is None else issuer_key
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(profile.subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(origin + profile.not_before)
        .not_valid_after(origin + profile.not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_cert.public_key()  # type: ignore[arg-type]
            ),
            critical=False,
        ).add_extension(
            # Revocation is declared, so validators look for it (and find the CRL).
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(f"{_CRL_BASE}/{profile.issuer}.crl")],
                        None,
                        None,
                        None,
                    )
                ]
            ),
            critical=False,
        )
    if profile.kind == "ca":
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=False, path_length=None), critical=True
        ).add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=profile.kind == "signer",
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if profile.kind == "tsa":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    if profile.kind == "signer":
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(_OCSP_URL),
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key: rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
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
    can be dated in the past. Revocation is published as DER CRLs (`crl_paths`); there is
    no OCSP server, but `ocsp_response` answers for any signer in-process and
    `add_validation_info` embeds such answers in a PDF's DSS.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, folder: Path, created_at: datetime) -> None:
        self.folder = folder
        self.created_at = created_at
        self._certs: dict[str, x509.Certificate] = {}
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        for profile in _PROFILES:
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
        for profile in _PROFILES:  # issuers come before the certificates they issue
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            issuer = profile.issuer
            cert = _certificate(
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
        revoked = {certs["revoked"].serial_number: created_at + _REVOKED}
        for ca in ("root-ca", "intermediate-ca", "rogue-root-ca"):
            cls._write(
                folder / "crl" / f"{ca}.crl",
                cls._crl(
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

    @staticmethod
    def _crl(
        ca_cert: x509.Certificate,
        ca_key: rsa.RSAPrivateKey,
        revoked: dict[int, datetime],
        created_at: datetime,
    ) -> bytes:
        # Issued a minute before "now" (validation right after creation must accept it)
        # and valid for years, so that the demo archive keeps working.
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(ca_cert.subject)
            .last_update(created_at - timedelta(minutes=1))
            .next_update(created_at + 10 * 365 * _DAY)
            .add_extension(x509.CRLNumber(1), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
        )
        for serial, when in revoked.items():
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(when)
                .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
                .build()
            )
        return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

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
        return self.created_at + _EXPIRED_SIGNED

    @property
    def revoked_at(self) -> datetime:
        """When the "revoked" signer's certificate was revoked (on the CRL)."""
        return self.created_at + _REVOKED

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
        chain = [] if _BY_FILE[signer].issuer == "rogue-root-ca" else ["intermediate-ca"]
        pdf_signer_identity = _LoadedKeySigner(
            self._keys[signer],
            signing_cert=_asn1_cert(cert),
            signing_key=_asn1_key(self._keys[signer]),
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

    def add_document_timestamp(self, pdf: bytes, *, at: datetime | None = None) -> bytes:
        """Append a PAdES document timestamp (RFC 3161, by the test TSA) dated `at` (default
        now): proof that every earlier revision, signatures included, existed then."""
        timestamper = self._timestamper(at)
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        out = signers.PdfTimeStamper(timestamper).timestamp_pdf(writer, "sha256")
        data: bytes = out.getvalue()
        return data

    def _store(self, names: list[str]) -> SimpleCertificateStore:
        certs = [_asn1_cert(self._certs[name]) for name in names]
        store: SimpleCertificateStore = SimpleCertificateStore.from_certs(certs)  # type: ignore[no-untyped-call]
        return store

    def _timestamper(self, at: datetime | None) -> DummyTimeStamper:
        return DummyTimeStamper(
            tsa_cert=_asn1_cert(self._certs["tsa"]),
            tsa_key=_asn1_key(self._keys["tsa"]),
            certs_to_embed=self._store(["intermediate-ca"]),
            fixed_dt=at,
        )

    # --- revocation -----------------------------------------------------------------

    def ocsp_response(self, signer: str, *, at: datetime | None = None) -> bytes:
        """A DER OCSP response for `signer`, signed by its CA, as an OCSP responder would
        give at `at` (default now): "revoked" for the revoked signer once revoked."""
        cert = self.signer_certificate(signer)
        issuer_file = _BY_FILE[signer].issuer
        assert issuer_file is not None
        issuer, issuer_key = self._certs[issuer_file], self._keys[issuer_file]
        at = at or datetime.now(UTC)
        produced = at - timedelta(minutes=1)
        revoked = signer == "revoked" and at >= self.revoked_at
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=cert,
                issuer=issuer,
                algorithm=hashes.SHA256(),
                cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
                this_update=produced,
                next_update=produced + 7 * _DAY,
                revocation_time=self.revoked_at if revoked else None,
                revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer)
        )
        return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def add_validation_info(self, pdf: bytes, signer: str, *, crls: bool = False) -> bytes:
        """Append a DSS (LTV data) to a signed PDF: the signer's chain, an OCSP response
        for it and, with `crls`, the CRLs. An incremental update that validators accept."""
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        certs = [_asn1_cert(self._certs[n]) for n in (signer, "intermediate-ca", "root-ca")]
        DocumentSecurityStore.supply_dss_in_writer(
            writer,
            None,
            certs=certs,
            ocsps=[asn1_ocsp.OCSPResponse.load(self.ocsp_response(signer))],
            crls=[asn1_crl.CertificateList.load(p.read_bytes()) for p in self.crl_paths]
            if crls
            else [],
        )
        out = BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]
        return out.getvalue()


def sample_result_pdf(
    title: str = "GIẤY KHAI SINH",
    lines: tuple[str, ...] = (
        "Họ, chữ đệm, tên: NGUYỄN THỊ HỒNG NHUNG",
        "Ngày, tháng, năm sinh: 02/09/2024",
        "Nơi sinh: Trạm y tế xã Tân Phong, tỉnh Lai Châu",
        "Số định danh cá nhân: 012345678901",
    ),
) -> bytes:
    """A small one-page Vietnamese result, unsigned (for the demo, tests and benchmarks)."""
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.set_creation_date(datetime(2024, 9, 2, tzinfo=UTC))
    doc.add_page()
    doc.add_font("DejaVu", "", str(DEJAVU_SANS))
    doc.set_font("DejaVu", size=11)
    doc.cell(0, 8, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 8, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", size=16)
    doc.cell(0, 16, title, align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", size=11)
    for line in lines:
        doc.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())
