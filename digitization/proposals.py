"""Deposit metadata proposed from a scanned result's OCR text, each field with a confidence
and the place on the page it was read from, and the review entries an officer looks at.

The rules are DOMAIN.md's: 12-digit personal IDs (the province prefix checked), enterprise
codes (the check digit checked), dossier and result codes in the national formats, dates
written "ngày 15 tháng 3 năm 2019", names with their diacritics, the result type from the
title. Matching runs on a folded copy of each line (no diacritics, lower case) of the same
length, so a match maps back to the words, their confidences and their boxes; OCR that
dropped a diacritic still matches the labels.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from kho.archive.identifiers import (
    PROVINCE_PREFIXES,
    enterprise_id_warnings,
    is_agency_code,
    is_dossier_code,
)
from kho.digitization.fields import (
    Box,
    FieldProposal,
    Proposal,
    ReviewEntry,
    fold,
    sentence_case,
    title_case,
)
from kho.digitization.ocr import OcrPage, Word

__all__ = ["FieldProposal", "Proposal", "ReviewEntry", "fold", "propose", "title_case"]

_DOSSIER: Final = re.compile(
    r"([a-z0-9]{3}) ?\. ?([a-z0-9]{2}) ?\. ?([a-z0-9]{2}) ?\. ?([a-z0-9]{3})"
    r" ?- ?(\d{6}) ?- ?(\d{4})"
    r"(?: ?- ?kq ?(\d{1,3}))?"
)
_NOTATION: Final = re.compile(r"\bso ?: ?(\d{1,6} ?/ ?[a-z0-9đ]+(?:[-/][a-z0-9đ]+)*)")
_VI_DATE: Final = re.compile(r"ngay (\d{1,2}) thang (\d{1,2}) nam (\d{4})")
_NUM_DATE: Final = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b")
_CITIZEN: Final = re.compile(r"(?<![\d.])(\d{3} ?\d{3} ?\d{3} ?\d{3})(?![\d.])")
_ENTERPRISE: Final = re.compile(r"(?<![\d.])(\d{10}(?:-\d{3})?)(?![\d.])")
_PROCEDURE: Final = re.compile(r"\b(\d\.\d{6})\b")
_PERSON_LABEL: Final = re.compile(
    r"(ho, chu dem, ten|ho, chu dem va ten|ho va ten|ho ten|ho, ten|chu ho kinh doanh|"
    r"nguoi yeu cau|ten nguoi|ong/ba|ong \(ba\)|ong|ba) ?: ?(.+)$"
)
_ENTERPRISE_LABEL: Final = re.compile(r"(ma so doanh nghiep|ma so thue|mst)\b")
# The date after these is read as written ("ngày … tháng … năm …" or dd/mm/yyyy).
_VALID_UNTIL: Final = re.compile(r"(co gia tri|hieu luc)( su dung)? den( het)?")
_VALID_FROM: Final = re.compile(r"(co gia tri|hieu luc)( su dung)? (ke )?tu")
_SCOPE: Final = re.compile(r"pham vi( su dung| hieu luc)? ?: ?(.+)$")
_HEADER_LINES: Final = ("cong hoa xa hoi", "doc lap", "uy ban nhan dan", "ubnd")
# A few of the commonest Vietnamese family names: a proposed name starting with one is
# more likely read right (not a rule: any name is accepted).
_SURNAMES: Final = frozenset(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh mai trinh "
    "lam luong ha cao quach tang ta lai kieu chu thai van".split()
)
_KNOWN_TITLES: Final = frozenset(
    {
        "giay khai sinh",
        "trich luc khai sinh",
        "giay chung nhan ket hon",
        "trich luc khai tu",
        "giay xac nhan tinh trang hon nhan",
        "giay chung nhan dang ky ho kinh doanh",
        "giay chung nhan dang ky doanh nghiep",
        "giay chung nhan quyen su dung dat",
        "phieu ly lich tu phap",
        "giay phep xay dung",
        "quyet dinh",
    }
)
_REQUIRED: Final = (
    "issuer_code",
    "result_code",
    "procedure_code",
    "procedure_name",
    "result_type",
    "subjects",
    "issued_on",
)


@dataclass(frozen=True)
class _Line:
    page: int
    index: int
    words: tuple[Word, ...]
    text: str
    folded: str
    starts: tuple[int, ...]  # offset of each word in `text`

    def span(self, start: int, end: int) -> tuple[float, Box | None]:
        """Confidence (the weakest word) and box of the words under text[start:end]."""
        chosen = [
            w
            for w, s in zip(self.words, self.starts, strict=True)
            if s < end and s + len(w.text) > start
        ]
        if not chosen:
            return 0.0, None
        box = (
            min(w.box[0] for w in chosen),
            min(w.box[1] for w in chosen),
            max(w.box[2] for w in chosen),
            max(w.box[3] for w in chosen),
        )
        return min(w.confidence for w in chosen), box

    @property
    def height(self) -> float:
        heights = sorted(w.box[3] - w.box[1] for w in self.words)
        return heights[len(heights) // 2] if heights else 0.0


def _lines(pages: Sequence[OcrPage]) -> list[_Line]:
    lines = []
    for page in pages:
        for index, words in enumerate(page.lines):
            starts, offset = [], 0
            for word in words:
                starts.append(offset)
                offset += len(word.text) + 1
            text = " ".join(w.text for w in words)
            lines.append(_Line(page.number, index, words, text, fold(text), tuple(starts)))
    return lines


def _date(day: str, month: str, year: str) -> date | None:
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return value if value.year >= 1900 else None


def _date_after(line: _Line, start: int) -> tuple[date, int, int] | None:
    for pattern in (_VI_DATE, _NUM_DATE):
        match = pattern.search(line.folded, start)
        if match:
            value = _date(*match.groups())
            if value is not None:
                return value, match.start(), match.end()
    return None


class _Proposer:
    def __init__(self, pages: Sequence[OcrPage], review_below: float) -> None:
        self.lines = _lines(pages)
        self.review_below = review_below
        self.out = Proposal()

    def put(self, name: str, value: Any, confidence: float, line: _Line, box: Box | None) -> None:
        if name in self.out.fields and self.out.fields[name].confidence >= confidence:
            return
        self.out.fields[name] = FieldProposal(value, max(0.0, min(1.0, confidence)), line.page, box)

    def flag(self, page: int | None, name: str | None, reason: str) -> None:
        self.out.review.append(ReviewEntry(page, name, reason))

    def codes(self) -> None:
        dossiers: list[tuple[str, str | None, float, _Line, Box | None, bool]] = []
        for line in self.lines:
            upper = line.folded
            for match in _DOSSIER.finditer(upper):
                groups = match.groups()
                code = ".".join(g.upper() for g in groups[:4]) + f"-{groups[4]}-{groups[5]}"
                if not is_dossier_code(code):
                    continue
                conf, box = line.span(match.start(), match.end())
                result = f"{code}-KQ{int(groups[6])}" if groups[6] else None
                labelled = "ma ho so" in upper[: match.start()]
                dossiers.append((code, result, conf, line, box, labelled))
        for code, result, conf, line, box, labelled in dossiers:
            if result is not None:
                self.put("result_code", result, conf, line, box)
            self.put("dossier_code", code, conf * (1.0 if labelled or result else 0.9), line, box)
        if "result_code" not in self.out.fields:
            if "dossier_code" in self.out.fields:
                found = self.out.fields["dossier_code"]
                self.out.fields["result_code"] = FieldProposal(
                    f"{found.value}-KQ1", found.confidence * 0.6, found.page, found.box
                )
                self.flag(found.page, "result_code", "không thấy mã kết quả (-KQn): giả định -KQ1")
            else:
                for line in self.lines:
                    notation_match = _NOTATION.search(line.folded)
                    if notation_match:
                        start, end = notation_match.span(1)
                        conf, box = line.span(start, end)
                        notation = "".join(line.text[start:end].split()).upper()
                        self.put("result_code", notation, conf * 0.9, line, box)
                        break
        result_field = self.out.fields.get("result_code")
        dossier_field = self.out.fields.get("dossier_code")
        if (
            result_field
            and dossier_field
            and not str(result_field.value).startswith(f"{dossier_field.value}-KQ")
        ):
            self.flag(result_field.page, "result_code", "mã kết quả không thuộc mã hồ sơ đọc được")
        if dossier_field is not None:
            agency = str(dossier_field.value).split("-", 1)[0]
            if is_agency_code(agency):
                self.out.fields["issuer_code"] = FieldProposal(
                    agency, 0.5, dossier_field.page, dossier_field.box
                )
                self.flag(
                    dossier_field.page,
                    "issuer_code",
                    "mã cơ quan lấy từ mã hồ sơ (cơ quan tiếp nhận): cần xác nhận cơ quan ban hành",
                )
        for line in self.lines:
            if "thu tuc" in line.folded:
                code_match = _PROCEDURE.search(line.folded)
                if code_match:
                    conf, box = line.span(*code_match.span(1))
                    self.put("procedure_code", code_match.group(1), conf, line, box)

    def title(self) -> None:
        candidates = []
        for line in self.lines:
            letters = [c for c in line.text if c.isalpha()]
            if len(letters) < 6 or line.folded.startswith(_HEADER_LINES):
                continue
            if any(h in line.folded for h in _HEADER_LINES) or ":" in line.text:
                continue
            if sum(c.isupper() for c in letters) < 0.9 * len(letters) or len(line.words) < 2:
                continue
            candidates.append(line)
        if not candidates:
            return
        best = max(candidates[:8], key=lambda ln: (ln.page == candidates[0].page, ln.height))
        conf, box = best.span(0, len(best.text))
        value = sentence_case(best.text)
        known = fold(value) in _KNOWN_TITLES
        self.put("result_type", value, conf if known else conf * 0.8, best, box)

    def subjects(self) -> None:
        names: list[tuple[str, float, _Line, Box | None]] = []
        for line in self.lines:
            match = _PERSON_LABEL.search(line.folded)
            if not match:
                continue
            start = match.start(2)
            raw = line.text[start:].strip(" .;,")
            words = raw.split()
            if not 2 <= len(words) <= 7 or not all(w.isalpha() for w in words):
                continue
            conf, box = line.span(start, len(line.text))
            if fold(words[0]) not in _SURNAMES:
                conf *= 0.85
            names.append((title_case(raw), conf, line, box))
        subjects: list[dict[str, str]] = []
        confidences: list[float] = []
        first: tuple[_Line, Box | None] | None = None
        used: set[str] = set()
        for line in self.lines:
            for match in _CITIZEN.finditer(line.folded):
                number = match.group(1).replace(" ", "")
                if number in used:
                    continue
                conf, box = line.span(*match.span(1))
                if number[:3] not in PROVINCE_PREFIXES:
                    conf *= 0.7
                    self.flag(
                        line.page,
                        "subjects",
                        f"số định danh {number}: mã tỉnh {number[:3]} không có trong danh mục",
                    )
                name = self._nearest(names, line)
                if name is None:
                    self.flag(
                        line.page, "subjects", f"không tìm thấy họ tên cho số định danh {number}"
                    )
                    continue
                used.add(number)
                subjects.append({"kind": "citizen", "id": number, "name": name[0]})
                confidences.append(min(conf, name[1]))
                first = first or (line, box)
            if _ENTERPRISE_LABEL.search(line.folded):
                for match in _ENTERPRISE.finditer(line.folded):
                    code = match.group(1)
                    conf, box = line.span(*match.span(1))
                    if enterprise_id_warnings(code):
                        conf *= 0.7
                        self.flag(
                            line.page,
                            "subjects",
                            f"mã số doanh nghiệp {code}: chữ số kiểm tra không khớp",
                        )
                    label = self._enterprise_name(line)
                    if label is None or code in used:
                        continue
                    used.add(code)
                    subjects.append({"kind": "enterprise", "id": code, "name": label})
                    confidences.append(conf)
                    first = first or (line, box)
        if subjects and first is not None:
            self.put("subjects", subjects, min(confidences), first[0], first[1])

    @staticmethod
    def _nearest(
        names: list[tuple[str, float, _Line, Box | None]], line: _Line
    ) -> tuple[str, float, _Line, Box | None] | None:
        same_page = [n for n in names if n[2].page == line.page]
        if not same_page:
            return None
        return min(same_page, key=lambda n: abs(n[2].index - line.index))

    def _enterprise_name(self, near: _Line) -> str | None:
        for line in sorted(
            self.lines, key=lambda ln: (ln.page != near.page, abs(ln.index - near.index))
        ):
            match = re.search(r"ten (doanh nghiep|cong ty|ho kinh doanh)[^:]*: ?(.+)$", line.folded)
            if match:
                return " ".join(line.text[match.start(2) :].split())
        return None

    def dates(self) -> None:
        issued: list[tuple[date, float, _Line, Box | None]] = []
        for line in self.lines:
            for pattern, name in ((_VALID_UNTIL, "valid_until"), (_VALID_FROM, "valid_from")):
                match = pattern.search(line.folded)
                found = _date_after(line, match.end()) if match else None
                if found:
                    conf, box = line.span(found[1], found[2])
                    self.put(name, found[0].isoformat(), conf, line, box)
            scope = _SCOPE.search(line.folded)
            if scope:
                conf, box = line.span(scope.start(2), len(line.text))
                self.put("validity_scope", line.text[scope.start(2) :].strip(), conf, line, box)
            if _VALID_UNTIL.search(line.folded) or _VALID_FROM.search(line.folded):
                continue
            if "ngay cap" in line.folded or _VI_DATE.search(line.folded):
                start = line.folded.find("ngay cap")
                found = _date_after(line, max(start, 0))
                if found and ("sinh" not in line.folded[: found[1]]):
                    conf, box = line.span(found[1], found[2])
                    issued.append((found[0], conf, line, box))
        if issued:
            value, conf, line, box = issued[-1] if len(issued) > 1 else issued[0]
            self.put("issued_on", value.isoformat(), conf, line, box)

    def finish(self, pages: Sequence[OcrPage], blank_pages: Sequence[int]) -> Proposal:
        for page in pages:
            if page.number in blank_pages:
                self.flag(page.number, None, "trang trống (không thấy nội dung)")
            elif page.chars == 0:
                self.flag(page.number, None, "không nhận dạng được chữ trên trang")
            elif page.confidence < self.review_below:
                self.flag(page.number, None, f"độ tin cậy OCR thấp ({page.confidence:.2f})")
        for name, proposal in self.out.fields.items():
            if proposal.confidence < self.review_below and name != "issuer_code":
                self.flag(proposal.page, name, f"độ tin cậy thấp ({proposal.confidence:.2f})")
        for name in _REQUIRED:
            if name not in self.out.fields:
                self.flag(None, name, "không tìm thấy trong văn bản: cần nhập")
        return self.out


def propose(
    pages: Sequence[OcrPage], *, review_below: float = 0.8, blank_pages: Sequence[int] = ()
) -> Proposal:
    """Proposals for the deposit metadata from the OCR'd pages, and what needs review."""
    proposer = _Proposer(pages, review_below)
    proposer.codes()
    proposer.title()
    proposer.subjects()
    proposer.dates()
    return proposer.finish(pages, blank_pages)
