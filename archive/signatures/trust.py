"""Whom to trust: trust roots, intermediate certificates and CRLs, loaded from PEM or DER
files or folders (`KHO_TRUST_ROOTS` and friends), and whether to fetch revocation online."""

from __future__ import annotations

import hashlib
from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from .errors import TrustConfigError

__all__ = ["TrustConfig"]

_CERT_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der"})
_CRL_SUFFIXES = frozenset({".crl", ".pem", ".der"})

# Certificate validity and revocation checks allow this much clock skew (pyHanko's
# default is one second); time-bucket edges are widened by it on both sides.
EDGE_TOLERANCE = timedelta(seconds=2)


def edges(moment: datetime | None) -> tuple[datetime, ...]:
    """The instants around `moment` where a validation result may change."""
    if moment is None:
        return ()
    return (moment - EDGE_TOLERANCE, moment + EDGE_TOLERANCE)


def _der_items(data: bytes, pem_types: frozenset[str]) -> list[bytes]:
    if pem.detect(data):
        return [der for kind, _, der in pem.unarmor(data, multiple=True) if kind in pem_types]
    return [data]


def _parse_certificate(der: bytes) -> asn1_x509.Certificate:
    cert = asn1_x509.Certificate.load(der)
    # asn1crypto parses lazily: touch what validation needs, so that a bad file fails here
    _ = (
        cert.subject.human_friendly,
        cert.not_valid_before,
        cert.not_valid_after,
        cert.public_key.algorithm,
        cert.serial_number,
    )
    return cert


def _parse_crl(der: bytes) -> asn1_crl.CertificateList:
    crl = asn1_crl.CertificateList.load(der)
    tbs = crl["tbs_cert_list"]
    _ = (tbs["issuer"].human_friendly, tbs["this_update"].native, tbs["next_update"].native)
    return crl


def _files(path: Path, suffixes: frozenset[str], what: str) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if path.is_file():
        return [path]
    raise TrustConfigError(f"{what}: {path} does not exist")


def _load(paths: Iterable[Path | str], *, crl: bool, what: str) -> tuple[bytes, ...]:
    items: list[bytes] = []
    suffixes = _CRL_SUFFIXES if crl else _CERT_SUFFIXES
    pem_types = (
        frozenset({"X509 CRL"}) if crl else frozenset({"CERTIFICATE", "TRUSTED CERTIFICATE"})
    )
    for path in paths:
        for file in _files(Path(path), suffixes, what):
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise TrustConfigError(f"{what}: cannot read {file}: {exc.strerror}") from None
            found = _der_items(data, pem_types)
            if not found:
                raise TrustConfigError(f"{what}: {file} holds no {'CRL' if crl else 'certificate'}")
            for der in found:
                try:
                    _parse_crl(der) if crl else _parse_certificate(der)
                except (ValueError, TypeError, KeyError, OverflowError):
                    kind = "CRL" if crl else "X.509 certificate"
                    raise TrustConfigError(f"{what}: {file} is not a PEM or DER {kind}") from None
                items.append(der)
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class TrustConfig:
    """Trust roots, extra intermediate certificates and CRLs (DER bytes), and whether
    OCSP responses and CRLs may be fetched over the network.

    Nothing falls back to the operating system's trust store: with no roots, no signature
    is trusted. Build it with `from_paths`; it is immutable and hashable, and its
    `fingerprint` identifies it in the path-validation cache.
    """

    roots: tuple[bytes, ...] = ()
    intermediates: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()
    online: bool = False

    def __post_init__(self) -> None:
        for what, items, parse in (
            ("trust root", self.roots, _parse_certificate),
            ("intermediate certificate", self.intermediates, _parse_certificate),
            ("CRL", self.crls, _parse_crl),
        ):
            for index, der in enumerate(items):
                try:
                    parse(der)
                except (ValueError, TypeError, KeyError, OverflowError):
                    raise TrustConfigError(f"{what} #{index + 1} cannot be parsed") from None

    @classmethod
    def from_paths(
        cls,
        roots: Iterable[Path | str],
        intermediates: Iterable[Path | str] = (),
        crls: Iterable[Path | str] = (),
        *,
        online: bool = False,
    ) -> TrustConfig:
        """Load PEM (possibly several per file) or DER files, or every matching file of a
        folder (.pem .crt .cer .der for certificates; .crl .pem .der for CRLs).
        Raises TrustConfigError naming the file that is missing or unreadable."""
        return cls(
            roots=_load(roots, crl=False, what="trust root"),
            intermediates=_load(intermediates, crl=False, what="intermediate certificate"),
            crls=_load(crls, crl=True, what="CRL"),
            online=online,
        )

    @cached_property
    def root_certificates(self) -> tuple[asn1_x509.Certificate, ...]:
        return tuple(asn1_x509.Certificate.load(der) for der in self.roots)

    @cached_property
    def intermediate_certificates(self) -> tuple[asn1_x509.Certificate, ...]:
        return tuple(asn1_x509.Certificate.load(der) for der in self.intermediates)

    @cached_property
    def certificate_lists(self) -> tuple[asn1_crl.CertificateList, ...]:
        return tuple(asn1_crl.CertificateList.load(der) for der in self.crls)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 over everything that can change a verdict."""
        digest = hashlib.sha256(b"kho-trust-v1")
        for label, items in ((b"R", self.roots), (b"I", self.intermediates), (b"C", self.crls)):
            for der in sorted(items):
                digest.update(label + hashlib.sha256(der).digest())
        digest.update(b"online" if self.online else b"offline")
        return digest.hexdigest()

    @cached_property
    def _revocations(self) -> dict[int, tuple[datetime, ...]]:
        dates: dict[int, list[datetime]] = {}
        for crl in self.certificate_lists:
            for entry in crl["tbs_cert_list"]["revoked_certificates"]:
                serial = entry["user_certificate"].native
                insort(dates.setdefault(serial, []), entry["revocation_date"].native)
        return {serial: tuple(found) for serial, found in dates.items()}

    def revocation_dates(self, serial: int) -> tuple[datetime, ...]:
        """When the configured CRLs say certificates with this serial were revoked."""
        return self._revocations.get(serial, ())

    @cached_property
    def time_edges(self) -> tuple[datetime, ...]:
        """Instants at which a path-validation result may change because of this
        configuration: validity bounds of roots and intermediates, revocation dates of
        intermediates, and CRL issue/next-update times (sorted)."""
        found: set[datetime] = set()
        for cert in (*self.root_certificates, *self.intermediate_certificates):
            found.update(edges(cert.not_valid_before))
            found.update(edges(cert.not_valid_after))
        for cert in self.intermediate_certificates:
            for when in self.revocation_dates(cert.serial_number):
                found.update(edges(when))
        for crl in self.certificate_lists:
            tbs = crl["tbs_cert_list"]
            found.update(edges(tbs["this_update"].native))
            found.update(edges(tbs["next_update"].native))
        return tuple(sorted(found))
