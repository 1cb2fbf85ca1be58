"""Two speed-ups for pyHanko and asn1crypto, installed once at wiring (`install`).

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
errors are unchanged. Not installing them only makes validation slower.

They replace library internals for the whole process, so nothing does it at import: the
composition root calls `install()` (kho/wiring.py, and `kho verify`). It replaces a
function only while its source is the one these speed-ups were written against
(`PATCHED`: pyhanko, pyhanko-certvalidator and asn1crypto are pinned exactly in
pyproject.toml, and tests/archive/signatures/test_speedups.py fails on a new version);
otherwise it leaves the library alone and logs why.
"""

from __future__ import annotations

import binascii
import hashlib
import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

__all__ = ["PATCHED", "install", "installed", "names_equal", "read_hex_string", "source_sha256"]

log = logging.getLogger(__name__)

_HEX_DIGITS = b"0123456789abcdefABCDEF"
_CHUNK = 1 << 16

_original: Callable[[BinaryIO], Any] = generic.read_hex_string_from_stream
_original_name_eq: Callable[[asn1_x509.Name, object], bool] = asn1_x509.Name.__eq__

# What each speed-up replaces, with the SHA-256 of the replaced function's source in the
# pinned library versions: read_hex_string and names_equal mirror exactly that code.
PATCHED: dict[str, str] = {
    "pyhanko.pdf_utils.generic.read_hex_string_from_stream": (
        "2004d63b8e1ce3d9a894ab0912667f0f056ffb290b95c7615e59b36b883233e2"
    ),
    "asn1crypto.x509.Name.__eq__": (
        "7b7709c4f15eba0bad0403a1e09ed99d7e6c76543fe0741be728a1a86cfb8c41"
    ),
}


def source_sha256(function: Callable[..., Any]) -> str | None:
    """The SHA-256 of a function's source; None when the source cannot be read."""
    try:
        return hashlib.sha256(inspect.getsource(function).encode("utf-8")).hexdigest()
    except (OSError, TypeError):
        return None


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
_known_names_lock = threading.Lock()  # every request thread of a server validates
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
    with _known_names_lock:
        known = _known_names.get(key)
    if known is None:
        known = _original_name_eq(self, other)  # may raise ValueError: not remembered
        with _known_names_lock:
            if len(_known_names) >= _KNOWN_NAMES_MAX:
                _known_names.clear()
            _known_names[key] = known
    return known


_install_lock = threading.Lock()
_installed: set[str] = set()


def installed() -> frozenset[str]:
    """The names in PATCHED that `install` replaced in this process."""
    with _install_lock:
        return frozenset(_installed)


def install() -> frozenset[str]:
    """Install both speed-ups, once per process (idempotent, thread-safe); each only over
    the library code it was written against. Returns what is installed."""
    targets: dict[str, tuple[Callable[..., Any], Callable[[], None]]] = {
        "pyhanko.pdf_utils.generic.read_hex_string_from_stream": (
            _original,
            lambda: setattr(generic, "read_hex_string_from_stream", read_hex_string),
        ),
        "asn1crypto.x509.Name.__eq__": (
            _original_name_eq,
            lambda: setattr(asn1_x509.Name, "__eq__", names_equal),
        ),
    }
    with _install_lock:
        for name, (replaced, patch) in targets.items():
            if name in _installed:
                continue
            if source_sha256(replaced) != PATCHED[name]:
                log.warning(
                    "signature speed-up not installed: %s is not the code it was written "
                    "for (another library version); validation is correct, only slower",
                    name,
                )
                continue
            patch()
            _installed.add(name)
        return frozenset(_installed)
