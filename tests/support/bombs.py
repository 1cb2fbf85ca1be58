"""Hostile PDFs built in the tests: small files whose content streams inflate to megabytes
of text operators (decompression bombs), and signed files followed by an update of many
objects, written as raw PDF bytes so any size is cheap."""

from __future__ import annotations

import re
import zlib

_OPS = b"BT /F1 12 Tf 72 712 Td (A) Tj ET\n"


def _deflated(size: int) -> bytes:
    """`size` bytes of text operators, deflated chunk by chunk (never held whole)."""
    size -= size % len(_OPS)  # whole operators only
    packer = zlib.compressobj(9)
    chunk = _OPS * (1024 * 1024 // len(_OPS))
    out = []
    left = size
    while left > 0:
        piece = chunk[:left]
        out.append(packer.compress(piece))
        left -= len(piece)
    out.append(packer.flush())
    return b"".join(out)


def bomb_pdf(inflated_mb: float = 10.0, *, pages: int = 1) -> bytes:
    """A valid PDF of `pages` pages, each with one content stream of `inflated_mb` MB."""
    stream = _deflated(int(inflated_mb * 1024 * 1024))
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    font = 3 + 2 * pages
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
    ]
    for i in range(pages):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {4 + 2 * i} 0 R >>".encode()
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def with_empty_objects(signed: bytes, count: int) -> bytes:
    """`signed` with an incremental update of `count` new, unreferenced objects: costly to
    validate (pyHanko reads every object of every revision after a signature), cheap to
    write; about 50 bytes an object."""
    size = int(re.findall(rb"/Size (\d+)", signed)[-1])
    previous = int(re.findall(rb"startxref\s+(\d+)", signed)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", signed)[-1]
    body = bytearray(b"\n")
    offsets = []
    for n in range(count):
        offsets.append(len(signed) + len(body))
        body += b"%d 0 obj\n<</A %d>>\nendobj\n" % (size + n, n)
    xref = len(signed) + len(body)
    body += b"xref\n%d %d\n" % (size, count)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<</Size %d /Root %s /Prev %d>>\nstartxref\n%d\n%%%%EOF\n" % (
        size + count, root, previous, xref,
    )  # fmt: skip
    return signed + bytes(body)
