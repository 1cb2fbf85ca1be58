"""Deposit metadata as JSON text (the API's `metadata` part, `kho ingest --metadata`): parsed
with a nesting limit, so a deeply nested document is an invalid deposit, never a crash.

Python's JSON parser recurses once per level and gives up with RecursionError near a
thousand; well before that, no deposit field is nested more than a few levels (subjects are
a list of objects), so anything deeper than MAX_DEPTH is refused by name.
"""

from __future__ import annotations

import json

from kho.archive.errors import InvalidMetadata

__all__ = ["MAX_DEPTH", "check_nesting", "load_metadata_json"]

MAX_DEPTH = 16


def _too_deep() -> InvalidMetadata:
    return InvalidMetadata(
        f"metadata is nested more than {MAX_DEPTH} levels deep",
        errors=[{"field": "metadata", "message": f"nested more than {MAX_DEPTH} levels"}],
    )


def check_nesting(value: object) -> None:
    """InvalidMetadata if `value` nests lists or objects more than MAX_DEPTH levels deep
    (checked without recursion)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children)


def load_metadata_json(text: str | bytes) -> object:
    """The JSON value of `text`: ValueError if it is not JSON, InvalidMetadata (422) if it is
    nested too deeply."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise _too_deep() from None
    check_nesting(value)
    return value
