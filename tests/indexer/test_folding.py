"""Vietnamese folding: the same for documents and queries, length-preserving."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from kho.indexer.folding import fold, words
from kho.indexer.highlight import highlight, query_terms


def test_folding_drops_marks_and_maps_d_bar() -> None:
    assert fold("Trần Văn Đức") == "tran van duc"
    assert fold("đất") == "dat"
    assert fold("NGUYỄN THỊ ÁNH TUYẾT") == "nguyen thi anh tuyet"
    assert fold("Quyết định 123/QĐ-UBND") == "quyet dinh 123/qd-ubnd"


def test_nfd_input_folds_like_nfc() -> None:
    text = "Trần Văn Đức"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)


@given(st.text())
def test_folding_keeps_one_character_per_nfc_character(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    assert len(fold(text)) == len(nfc)
    assert fold(fold(text)) == fold(text)


def test_words_split_on_punctuation() -> None:
    assert words("123/QĐ-UBND, ngày 01.02") == ["123", "QĐ", "UBND", "ngày", "01", "02"]


def test_query_terms_are_folded_and_unique() -> None:
    assert query_terms("Đức duc ĐỨC đất") == ["duc", "dat"]


def test_highlights_escape_html_and_mark_folded_matches() -> None:
    fragments = highlight("<i>Ông</i> Trần Văn Đức & bà Lan", query_terms("tran duc"))
    assert fragments == [
        "&lt;i&gt;Ông&lt;/i&gt; <mark>Trần</mark> Văn <mark>Đức</mark> &amp; bà Lan"
    ]
    assert highlight("nothing here", ["duc"]) == []
