"""The test PKI of kho/demo/pki.py with what only the tests need: OCSP answers, LTV data
in a PDF's DSS, document timestamps, and a plain one-page result PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.validation.dss import DocumentSecurityStore

from kho.demo import pki as demo
from kho.demo.certificates import BY_FILE, DEJAVU_SANS, SIGNERS, UnknownSigner
from kho.demo.pki import asn1_cert

__all__ = ["DEJAVU_SANS", "SIGNERS", "TestPKI", "UnknownSigner", "sample_result_pdf"]

_DAY = timedelta(days=1)


class TestPKI(demo.TestPKI):
    """The demo's PKI, plus an in-process OCSP responder and DSS and timestamp helpers."""

    __test__ = False

    def add_document_timestamp(self, pdf: bytes, *, at: datetime | None = None) -> bytes:
        """Append a PAdES document timestamp (RFC 3161, by the test TSA) dated `at` (default
        now): proof that every earlier revision, signatures included, existed then."""
        timestamper = self._timestamper(at)
        writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        out = signers.PdfTimeStamper(timestamper).timestamp_pdf(writer, "sha256")
        data: bytes = out.getvalue()
        return data

    # --- revocation -----------------------------------------------------------------

    def ocsp_response(self, signer: str, *, at: datetime | None = None) -> bytes:
        """A DER OCSP response for `signer`, signed by its CA, as an OCSP responder would
        give at `at` (default now): "revoked" for the revoked signer once revoked."""
        cert = self.signer_certificate(signer)
        issuer_file = BY_FILE[signer].issuer
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
        certs = [asn1_cert(self._certs[n]) for n in (signer, "intermediate-ca", "root-ca")]
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
