"""The certificates of the test PKI: who they are, how each is made, and the CRLs.

Vietnamese subject names as on real agency certificates; validity relative to the moment
the PKI is made, so that "expired" and "revoked" stay so whenever the demo runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "BY_FILE",
    "DEJAVU_SANS",
    "EXPIRED_SIGNED",
    "PROFILES",
    "REVOKED",
    "SIGNERS",
    "Profile",
    "UnknownSigner",
    "certificate",
    "crl",
]

SIGNERS: Final = ("agency", "second", "expired", "revoked", "untrusted")
"""The signers of the test PKI, by the name `TestPKI.sign_pdf` takes."""

DEJAVU_SANS: Final = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

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
class Profile:
    """How one certificate of the test PKI is made, relative to the PKI's creation time."""

    file: str
    subject: x509.Name
    issuer: str | None  # file of the issuing CA, None = self-signed
    not_before: timedelta
    not_after: timedelta
    kind: str  # "ca" | "signer" | "tsa"


# Vietnamese subject names, as on real agency certificates (UTF8String).
PROFILES: Final = (
    Profile(
        "root-ca",
        _name("Kho Test Root CA", "Kho - chứng thực thử nghiệm"),
        None,
        -10 * 365 * _DAY,
        20 * 365 * _DAY,
        "ca",
    ),
    Profile(
        "intermediate-ca",
        _name("Kho Test CA chuyên dùng Chính phủ", "Kho - chứng thực thử nghiệm"),
        "root-ca",
        -9 * 365 * _DAY,
        15 * 365 * _DAY,
        "ca",
    ),
    Profile(
        "rogue-root-ca",
        _name("Rogue Root CA (không tin cậy)", "Không rõ"),
        None,
        -10 * 365 * _DAY,
        20 * 365 * _DAY,
        "ca",
    ),
    Profile(
        "agency",
        _name("UBND xã Tân Phong", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    Profile(
        "second",
        _name("Sở Tư pháp tỉnh Lai Châu", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    Profile(
        "expired",
        _name("UBND phường Đông Phong (chứng thư đã hết hạn)", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -3 * 365 * _DAY,
        -365 * _DAY,
        "signer",
    ),
    Profile(
        "revoked",
        _name("UBND xã Bản Bo (chứng thư bị thu hồi)", "UBND tỉnh Lai Châu", "Lai Châu"),
        "intermediate-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    Profile(
        "untrusted",
        _name("UBND xã Giả Mạo", "Không rõ"),
        "rogue-root-ca",
        -365 * _DAY,
        3 * 365 * _DAY,
        "signer",
    ),
    Profile(
        "tsa",
        _name("Kho Test TSA", "Kho - chứng thực thử nghiệm"),
        "intermediate-ca",
        -9 * 365 * _DAY,
        10 * 365 * _DAY,
        "tsa",
    ),
)
BY_FILE: Final = {p.file: p for p in PROFILES}

# When the expired signer signed (it was valid then) and when the revoked one was revoked.
EXPIRED_SIGNED: Final = -2 * 365 * _DAY
REVOKED: Final = -30 * _DAY


def certificate(
    profile: Profile,
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


def crl(
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    revoked: dict[int, datetime],
    created_at: datetime,
) -> bytes:
    """A DER CRL of `ca_cert` listing `revoked` (serial → when)."""
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
