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
_SPECIAL = {"đ": "d", "ð": "d", "ı": "i", "ł": "l", "ø": "o", "ħ": "h", "ŧ": "t"}


def normalize(text: str) -> str:
    """The stored form of text: Unicode NFC."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    # Lower-case, drop combining marks, map the letters that do not decompose (đ, ø, ...);
    # repeat, since dropping a mark can uncover one (Ǿ → Ø → ø → o).
    current = char
    for _ in range(3):
        lowered = current.lower()
        if len(lowered) != 1:
            lowered = current
        if lowered.isascii():
            return lowered
        special = _SPECIAL.get(lowered)
        if special is not None:
            return special
        base = "".join(
            c for c in unicodedata.normalize("NFD", lowered) if unicodedata.category(c) != "Mn"
        )
        # Keep length: a character that folds to several (or none) stays as it is.
        if len(base) != 1 or base == lowered:
            return lowered
        current = base
    return current


def fold(text: str) -> str:
    """Diacritic-free lower-case text, one character per character of `normalize(text)`."""
    return "".join(fold_char(c) for c in normalize(text))


def words(text: str) -> list[str]:
    """The word tokens of text (letters and digits), as written."""
    return _WORD.findall(normalize(text))
