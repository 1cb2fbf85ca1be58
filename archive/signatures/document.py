"""Reading a signed PDF: opening untrusted bytes, finding its signatures in revision order,
and the validation data it carries (DSS, Adobe revocation-info attribute)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from io import BytesIO

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.crypt.api import AuthStatus
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.generic import DictionaryObject
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

from .errors import EncryptedPdf, UnreadablePdf

__all__ = [
    "EmbeddedData",
    "FoundSignature",
    "count_signature_dictionaries",
    "document_security_store",
    "find_signatures",
    "open_pdf",
    "revocation_attribute",
]

logger = logging.getLogger(__name__)


def open_pdf(data: bytes) -> PdfFileReader:
    """A reader for `data`; UnreadablePdf if it is not a readable PDF, EncryptedPdf if it
    needs a password."""
    if b"%PDF-" not in data[:1024]:
        raise UnreadablePdf("not a PDF file (no %PDF header)")
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
    except Exception:  # untrusted input: any failure means "damaged"
        logger.debug("cannot open PDF", exc_info=True)
        raise UnreadablePdf("the PDF is damaged or truncated and cannot be read") from None
    try:
        encrypted = reader.encrypted
    except Exception:  # e.g. an /Encrypt entry that is not a dictionary (a spoofing trick)
        logger.debug("cannot read the encryption settings", exc_info=True)
        raise UnreadablePdf("the PDF is damaged: its encryption settings are malformed") from None
    if encrypted:
        try:
            # Owner-password-only files (empty user password) open fine and keep their
            # signatures readable; anything else needs a password we do not have.
            status = reader.decrypt("").status
        except Exception:  # unknown or public-key security handlers
            status = AuthStatus.FAILED
        if status == AuthStatus.FAILED:
            raise EncryptedPdf("the PDF is encrypted with a password")
    return reader


@dataclass(frozen=True)
class FoundSignature:
    """A filled signature field; `embedded` is None when its signature cannot be read."""

    field_name: str
    field: DictionaryObject
    embedded: EmbeddedPdfSignature | None

    @property
    def is_document_timestamp(self) -> bool:
        """A document timestamp, by its /Type or (when /Type is missing or wrong, as
        EU DSS also reads it) by its RFC 3161 SubFilter."""
        if self.embedded is None:
            return False
        return (
            self.embedded.sig_object_type == "/DocTimeStamp"
            or self.subfilter == "/ETSI.RFC3161"
        )

    @property
    def subfilter(self) -> str | None:
        try:
            value = self.field["/V"].get_object().get("/SubFilter")
        except Exception:  # a damaged field has no usable subfilter
            return None
        return None if value is None else str(value)


def find_signatures(reader: PdfFileReader) -> list[FoundSignature]:
    """The filled signature fields in the order they were signed (unreadable ones last);
    UnreadablePdf if the form itself cannot be read."""
    try:
        fields = [
            (name, sig_field.get_object())
            for name, _, sig_field in enumerate_sig_fields(reader, filled_status=True)
        ]
    except Exception:  # untrusted input: any failure means "damaged"
        logger.debug("cannot enumerate signature fields", exc_info=True)
        raise UnreadablePdf("the PDF is damaged: its form fields cannot be read") from None
    found: list[tuple[int, FoundSignature]] = []
    for name, sig_field in fields:
        if _without_signature_value(sig_field):
            continue  # a placeholder: a signature dictionary but nothing signed yet
        try:
            embedded = EmbeddedPdfSignature(reader, sig_field, name)
            found.append((embedded.signed_revision, FoundSignature(name, sig_field, embedded)))
        except Exception:  # reported as a damaged signature
            logger.debug("cannot read signature %s", name, exc_info=True)
            found.append((1 << 30, FoundSignature(name, sig_field, None)))
    found.sort(key=lambda item: item[0])
    return [signature for _, signature in found]


def _without_signature_value(sig_field: DictionaryObject) -> bool:
    """Whether a filled field's signature dictionary has an empty /Contents (or only the
    zero bytes reserved for a signature never written): there is nothing to validate."""
    try:
        contents = sig_field["/V"].get_object().get("/Contents")
        if contents is None:
            return False
        value = bytes(contents.original_bytes if hasattr(contents, "original_bytes") else contents)
    except Exception:  # a damaged dictionary is judged as a damaged signature
        return False
    return not value.strip(b"\x00")


# A signature dictionary's byte range, as it appears in the file's bytes.
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*\d+\s+\d+\s+\d+\s+\d+\s*\]")


def count_signature_dictionaries(data: bytes) -> int:
    """How many signature dictionaries a file's raw bytes hold (distinct byte ranges),
    for a file whose structure cannot be read: its signatures then fail format checking
    rather than the file being taken for unsigned."""
    return len(set(_BYTE_RANGE.findall(data)))


@dataclass(frozen=True)
class EmbeddedData:
    """Validation data carried by the document (DSS) or a signature (Adobe attribute)."""

    certs: tuple[asn1_x509.Certificate, ...] = ()
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = ()

    def plus(self, other: EmbeddedData) -> EmbeddedData:
        return EmbeddedData(
            self.certs + other.certs, self.crls + other.crls, self.ocsps + other.ocsps
        )


def document_security_store(reader: PdfFileReader) -> EmbeddedData:
    """Certificates, CRLs and OCSP responses of the document's DSS (LTV data)."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
        return EmbeddedData(
            certs=tuple(dss.load_certs()),
            crls=tuple(
                asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
                for ref in dss.crls
            ),
            ocsps=tuple(
                asn1_ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
                for ref in dss.ocsps
            ),
        )
    except NoDSSFoundError:
        return EmbeddedData()
    except Exception:  # a damaged DSS only means less validation data
        logger.debug("ignoring unreadable DSS", exc_info=True)
        return EmbeddedData()


def revocation_attribute(signer_info: cms.SignerInfo) -> EmbeddedData:
    """CRLs and OCSP responses in a signature's Adobe revocation-info attribute."""
    try:
        archival = find_unique_cms_attribute(
            signer_info["signed_attrs"], "adobe_revocation_info_archival"
        )
        return EmbeddedData(crls=tuple(archival["crl"]), ocsps=tuple(archival["ocsp"]))
    except (NonexistentAttributeError, MultivaluedAttributeError):
        return EmbeddedData()
