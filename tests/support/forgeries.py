"""Forged and damaged variants of signed PDFs, for the signature tests: what a forger or a
broken transfer would produce."""

from __future__ import annotations

from io import BytesIO

import pypdf
from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

__all__ = [
    "break_signature_value",
    "encrypt",
    "overwrite_content_stream",
    "replace_page_content",
    "tamper_signed_bytes",
]


def tamper_signed_bytes(signed: bytes) -> bytes:
    """Flip one byte inside the signed byte range (a digit of the creation date, so the
    file still parses)."""
    reader = pypdf.PdfReader(BytesIO(signed))
    sig = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0]["/V"]
    first_range_end = int(sig["/ByteRange"][1])
    at = signed.index(b"/CreationDate (D:") + len(b"/CreationDate (D:")
    assert at < first_range_end
    flipped = b"1" if signed[at : at + 1] != b"1" else b"3"
    return signed[:at] + flipped + signed[at + 1 :]


def replace_page_content(signed: bytes) -> bytes:
    """Append an incremental update giving the page new content, as a forger would."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    fake = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (KET QUA GIA MAO) Tj ET")
    page["/Contents"] = writer.add_object(fake)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def overwrite_content_stream(signed: bytes) -> bytes:
    """Append an incremental update that overwrites the page's existing content stream
    object (same object number) with other text."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    contents_ref = writer.root["/Pages"]["/Kids"][0].get_object().raw_get("/Contents")
    fake = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (KET QUA GIA MAO) Tj ET")
    writer.mark_update(contents_ref)
    writer.objects[(contents_ref.generation, contents_ref.idnum)] = fake
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def break_signature_value(signed: bytes) -> bytes:
    """Change the RSA signature value inside /Contents (outside the signed range), keeping
    the CMS well-formed and the same length."""
    reader = pypdf.PdfReader(BytesIO(signed))
    sig = reader.trailer["/Root"]["/AcroForm"]["/Fields"][0]["/V"]
    byte_range = [int(x) for x in sig["/ByteRange"]]
    start, end = byte_range[1] + 1, byte_range[2] - 1  # inside the <...> hex string
    der = bytes.fromhex(signed[start:end].decode("ascii"))
    info = cms.ContentInfo.load(der.rstrip(b"\x00"))
    signer_info = info["content"]["signer_infos"][0]
    value = bytearray(signer_info["signature"].native)
    value[10] ^= 0xFF
    signer_info["signature"] = cms.OctetString(bytes(value))
    new = info.dump(force=True).hex().encode("ascii")
    new = new + b"0" * (end - start - len(new))
    assert len(new) == end - start
    return signed[:start] + new + signed[end:]


def encrypt(data: bytes, *, user_password: str = "mat-khau") -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="chu-so-huu", algorithm="AES-256")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
