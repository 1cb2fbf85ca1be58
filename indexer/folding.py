"""Vietnamese folding: the one way text is made diacritic-free for matching, in Python.

The same function runs on documents at index time and on queries at search time, for every
search engine (the Elasticsearch distribution used here has no `asciifolding`): NFD, drop the
combining marks, đ/Đ → d, lower-case. "Trần Văn Đức" → "tran van duc". Folding keeps one
character per character of NFC input for Vietnamese, so offsets in folded text are offsets
in the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "fold_char", "normalize", "words"]

_WORD = re.compile(r"\w+", re.UNICODE)
_SPECIAL = {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "ı": "i", "ł": "l", "Ł": "l", "ø": "o"}


def normalize(text: str) -> str:
    """The stored form of text: Unicode NFC."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    if char.isascii():
        return char.lower()
    special = _SPECIAL.get(char)
    if special is not None:
        return special
    base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
    folded = base.lower()
    # Keep length: a character that folds to several (or none) stays itself, lower-cased.
    return folded if len(folded) == 1 else char.lower()[:1] or char


def fold(text: str) -> str:
    """Diacritic-free lower-case text, one character per character of `normalize(text)`."""
    return "".join(fold_char(c) for c in normalize(text))


def words(text: str) -> list[str]:
    """The word tokens of text (letters and digits), as written."""
    return _WORD.findall(normalize(text))
