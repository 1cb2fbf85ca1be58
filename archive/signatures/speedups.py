"""Two speed-ups for pyHanko and asn1crypto, installed at import by `validate.py`.

Once certificate paths are cached, most of the cost of validating a document went to:
- pyHanko tokenising hex strings one byte at a time in Python: a signature's /Contents is
  a hex string of 10-30 kB (about 7 of 12 ms per document). `read_hex_string` finds the
  closing '>' and decodes in C;
- asn1crypto comparing X.509 names through LDAP string preparation, slow for Vietnamese
  names (about 2 ms per document). `names_equal` compares DER encodings first (equal
  encodings are equal names under any rule) and remembers the library's answer for each
  pair of different encodings.
Both defer to the library's own code for anything else (a comment in a hex string, a
bad character, the end of the stream, names encoded differently), so results and
errors are unchanged. Removing `install()` only makes validation slower.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from typing import Any, BinaryIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

__all__ = ["install", "names_equal", "read_hex_string"]

_HEX_DIGITS = b"0123456789abcdefABCDEF"
_CHUNK = 1 << 16

_original: Callable[[BinaryIO], Any] = generic.read_hex_string_from_stream
_original_name_eq: Callable[[asn1_x509.Name, object], bool] = asn1_x509.Name.__eq__


def read_hex_string(stream: BinaryIO) -> Any:
    """Read `<...>` at the stream's position, leaving it just after the '>'; same result
    as pyhanko.pdf_utils.generic.read_hex_string_from_stream."""
    start = stream.tell()
    stream.read(1)  # the '<'
    body = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            stream.seek(start)
            return _original(stream)  # raises pyHanko's "ended prematurely" error
        end = chunk.find(b">")
        if end >= 0:
            body += chunk[:end]
            break
        body += chunk
    digits = bytes(body).translate(None, PDF_WHITESPACE)
    if digits.translate(None, _HEX_DIGITS):  # comments or invalid characters
        stream.seek(start)
        return _original(stream)
    stream.seek(start + 1 + len(body) + 1)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


_known_names: dict[tuple[bytes, bytes], bool] = {}
_KNOWN_NAMES_MAX = 4096


def names_equal(self: asn1_x509.Name, other: object) -> bool:
    """asn1crypto's Name equality (RFC 5280 § 7.1): equal DER is equal; otherwise the
    library's answer, remembered per pair of encodings (the same few issuers recur).
    An encoding may carry a context tag (a Name inside a GeneralName): the pair is still
    a faithful key, since equal encodings hold equal names."""
    if not isinstance(other, asn1_x509.Name):
        return _original_name_eq(self, other)
    key = (self.dump(), other.dump())
    if key[0] == key[1]:
        return True
    known = _known_names.get(key)
    if known is None:
        known = _original_name_eq(self, other)  # may raise ValueError: not remembered
        if len(_known_names) >= _KNOWN_NAMES_MAX:
            _known_names.clear()
        _known_names[key] = known
    return known


def install() -> None:
    """Install both speed-ups (idempotent)."""
    generic.read_hex_string_from_stream = read_hex_string
    asn1_x509.Name.__eq__ = names_equal
