"""The national QR code printed on a result: read with zbar (pyzbar over Debian's libzbar0),
preferred to OCR, and any disagreement with the text flagged for review.

DOMAIN.md lists what it carries (dossier code, procedure code, owner's ID, document name,
source system, publication time, validity period and scope) but no published encoding was
confirmed, so the payload is read leniently: a JSON object, or `key: value` / `key=value`
pairs split by new lines, `|` or `;`, with the keys below in Vietnamese (with or without
diacritics) or English. Anything else is kept as text and searched for a dossier code.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from PIL import Image

from kho.archive.identifiers import CITIZEN_ID, ENTERPRISE_ID, is_dossier_code
from kho.digitization.fields import FieldProposal, Proposal, ReviewEntry, fold

__all__ = ["QrCode", "merge_qr", "parse_payload", "read_qr"]

# Folded key (no diacritics, lower case, no spaces or '_') → deposit-metadata field.
_KEYS: Final = {
    "mahoso": "dossier_code",
    "dossiercode": "dossier_code",
    "maketqua": "result_code",
    "resultcode": "result_code",
    "mathutuc": "procedure_code",
    "matthc": "procedure_code",
    "procedurecode": "procedure_code",
    "sodinhdanh": "owner_id",
    "sodinhdanhchuhoso": "owner_id",
    "madinhdanh": "owner_id",
    "chuhoso": "owner_id",
    "ownerid": "owner_id",
    "tengiayto": "result_type",
    "tenketqua": "result_type",
    "documentname": "result_type",
    "nguondulieu": "source_system",
    "hethong": "source_system",
    "sourcesystem": "source_system",
    "thoigiancongbo": "published_at",
    "publishedat": "published_at",
    "hieuluctu": "valid_from",
    "validfrom": "valid_from",
    "hieulucden": "valid_until",
    "validuntil": "valid_until",
    "phamvi": "validity_scope",
    "phamvihieuluc": "validity_scope",
    "validityscope": "validity_scope",
}
_PAIR: Final = re.compile(r"^\s*([^:=]{2,40}?)\s*[:=]\s*(.*?)\s*$")
_DOSSIER_IN_TEXT: Final = re.compile(
    r"[A-Za-z0-9]{3}\.[A-Za-z0-9]{2}\.[A-Za-z0-9]{2}\.[A-Za-z0-9]{3}-\d{6}-\d{4}"
)
_QR_CONFIDENCE: Final = 0.99


@dataclass(frozen=True)
class QrCode:
    page: int
    payload: str
    box: tuple[float, float, float, float]
    fields: dict[str, str]


class QrUnavailable(RuntimeError):
    """zbar (Debian's libzbar0) is not installed."""


def _key(raw: str) -> str:
    return re.sub(r"[\s_\-.]", "", fold(raw))


def _iso(value: str) -> str | None:
    value = value.strip()
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value[:10])
    parts: tuple[str, ...]
    if match:
        parts = (match.group(3), match.group(2), match.group(1))
    else:
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if not match:
            return None
        parts = match.groups()
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat()
    except ValueError:
        return None


def parse_payload(payload: str) -> dict[str, str]:
    """The fields a QR payload names (see the module docstring), values NFC and trimmed."""
    payload = unicodedata.normalize("NFC", payload)
    pairs: dict[str, Any] = {}
    try:
        loaded = json.loads(payload)
        if isinstance(loaded, dict):
            pairs = loaded
    except ValueError:
        for part in re.split(r"[\n|;]", payload):
            match = _PAIR.match(part)
            if match:
                pairs[match.group(1)] = match.group(2)
    fields: dict[str, str] = {}
    for raw_key, raw_value in pairs.items():
        name = _KEYS.get(_key(str(raw_key)))
        if name is None or raw_value in (None, ""):
            continue
        value = " ".join(str(raw_value).split())
        if name in ("valid_from", "valid_until"):
            iso = _iso(value)
            if iso is None:
                continue
            value = iso
        fields[name] = value
    if "dossier_code" not in fields:
        match = _DOSSIER_IN_TEXT.search(payload)
        if match and is_dossier_code(match.group(0)):
            fields["dossier_code"] = match.group(0)
    return fields


def read_qr(images: Iterable[tuple[int, Image.Image]]) -> list[QrCode]:
    """Every QR code on the pages; QrUnavailable when zbar is not installed."""
    try:
        from pyzbar import pyzbar
        from pyzbar.pyzbar_error import PyZbarError
    except (ImportError, OSError) as exc:
        raise QrUnavailable(f"zbar is not installed (apt-get install libzbar0): {exc}") from None
    codes: list[QrCode] = []
    for page, image in images:
        gray = image.convert("L")
        try:
            found = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
        except PyZbarError:
            continue
        for symbol in found:
            payload = _text(symbol.data)
            r = symbol.rect
            box = (
                round(r.left / gray.width, 4),
                round(r.top / gray.height, 4),
                round((r.left + r.width) / gray.width, 4),
                round((r.top + r.height) / gray.height, 4),
            )
            codes.append(QrCode(page, payload, box, parse_payload(payload)))
    return codes


def _text(data: bytes) -> str:
    """The payload as the encoder meant it. zbar guesses a QR code's character set when it
    carries no ECI and converts to UTF-8; UTF-8 Vietnamese guessed as Shift-JIS or Big5
    comes out as CJK text, which is turned back here."""
    text = data.decode("utf-8", "replace")
    if not any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in text):
        return text
    for guessed in ("shift_jis", "big5", "gb18030", "euc_kr"):
        try:
            return text.encode(guessed).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


def _same(a: object, b: object) -> bool:
    return fold(" ".join(str(a).split())) == fold(" ".join(str(b).split()))


def merge_qr(proposal: Proposal, codes: list[QrCode]) -> Proposal:
    """The proposal with the QR code's fields preferred to OCR's, and a review entry for
    every field where the two disagree."""
    for code in codes:
        for name, value in code.fields.items():
            if name in ("owner_id", "published_at", "source_system"):
                continue
            if name == "result_type":
                value = value[:1].upper() + value[1:].lower() if value.isupper() else value
            current = proposal.fields.get(name)
            if current is not None and not _same(current.value, value):
                proposal.review.append(
                    ReviewEntry(
                        code.page,
                        name,
                        f"mã QR ghi {value!r}, văn bản ghi {current.value!r}: "
                        "dùng giá trị của mã QR",
                    )
                )
            proposal.fields[name] = FieldProposal(value, _QR_CONFIDENCE, code.page, code.box, "qr")
        owner = code.fields.get("owner_id")
        if owner and (CITIZEN_ID.fullmatch(owner) or ENTERPRISE_ID.fullmatch(owner)):
            _merge_owner(proposal, code, owner)
        if "source_system" in code.fields and "source_system" not in proposal.fields:
            proposal.fields["source_system"] = FieldProposal(
                code.fields["source_system"], _QR_CONFIDENCE, code.page, code.box, "qr"
            )
    if codes:
        proposal.review[:] = [
            r
            for r in proposal.review
            if not (
                r.page is None
                and r.field in proposal.fields
                and r.reason.startswith("không tìm thấy")
            )
        ]
    return proposal


def _merge_owner(proposal: Proposal, code: QrCode, owner: str) -> None:
    current = proposal.fields.get("subjects")
    subjects = list(current.value) if current is not None else []
    if any(s["id"] == owner for s in subjects):
        return
    kind = "citizen" if CITIZEN_ID.fullmatch(owner) else "enterprise"
    if subjects:
        proposal.review.append(
            ReviewEntry(
                code.page,
                "subjects",
                f"mã QR ghi số định danh {owner}, văn bản ghi "
                f"{', '.join(s['id'] for s in subjects)}: dùng giá trị của mã QR",
            )
        )
        first = dict(subjects[0], id=owner, kind=kind)
        subjects[0] = first
        confidence = current.confidence if current else 0.5
    else:
        proposal.review.append(
            ReviewEntry(
                code.page, "subjects", f"số định danh {owner} chỉ có trong mã QR: cần nhập họ tên"
            )
        )
        return
    proposal.fields["subjects"] = FieldProposal(subjects, confidence, code.page, code.box, "qr")
