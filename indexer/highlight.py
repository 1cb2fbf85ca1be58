"""Highlights for search hits, made in Python the same way for every engine.

Engines differ in how they highlight a folded field; doing it here against the original text
keeps the contract identical: words whose folded form matches a folded query word are
wrapped in <mark>, the rest of the text is HTML-escaped (document text is untrusted).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Collection, Mapping
from typing import Any

from kho.indexer.folding import fold, normalize, words

__all__ = ["highlight", "hit_highlights", "query_terms"]

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")

# The words of documents repeat (a form's labels, common names): each is folded once.
_fold_word = functools.lru_cache(maxsize=65536)(fold)


def query_terms(q: str) -> list[str]:
    """The folded words of a query, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in words(q):
        seen.setdefault(fold(word), None)
    return list(seen)


def highlight(
    text: str, terms: Collection[str], *, fragment_chars: int = 160, max_fragments: int = 3
) -> list[str]:
    """Fragments of `text` with the words matching `terms` marked; [] if none match."""
    if not terms or not text:
        return []
    text = _SPACE.sub(" ", normalize(text))
    wanted = set(terms)
    spans = [m.span() for m in _WORD.finditer(text) if _fold_word(m.group()) in wanted]
    if not spans:
        return []
    fragments: list[str] = []
    i = 0
    while i < len(spans) and len(fragments) < max_fragments:
        start = max(0, spans[i][0] - fragment_chars // 3)
        if start > 0:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < spans[i][0] else start
        end = min(len(text), start + fragment_chars)
        end = max(end, spans[i][1])
        if end < len(text):
            space = text.rfind(" ", spans[i][1], end)
            end = space if space > 0 else end
        inside = [s for s in spans[i:] if s[1] <= end]
        fragments.append(_mark(text, start, end, inside))
        i += len(inside)
    return fragments


def _mark(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    out: list[str] = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)


def hit_highlights(
    record: Mapping[str, Any], body: str, terms: Collection[str]
) -> dict[str, list[str]]:
    """The highlights of one search hit: its names and type, and fragments of its text."""
    if not terms:
        return {}
    fields = {
        "result_type": str(record.get("result_type", "")),
        "procedure_name": str(record.get("procedure_name", "")),
        "subjects": " · ".join(str(s.get("name", "")) for s in record.get("subjects", [])),
        "text": body,
    }
    out: dict[str, list[str]] = {}
    for name, value in fields.items():
        fragments = highlight(value, terms, max_fragments=3 if name == "text" else 1)
        if fragments:
            out[name] = fragments
    return out
