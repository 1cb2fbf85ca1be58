"""The deposit pipeline's economy, on every stack: Kho hashes the signed bytes once, and
indexes a new record from what the deposit holds, never reading the package back."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kho.services import Access, Services

SYSTEM = Access.system(purpose="000.00.15.H62-261123-0001")


def test_kho_hashes_the_deposited_bytes_once(
    services: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf = signed_pdf("GIẤY KHAI SINH", ("Số", "hash-once"))
    real = hashlib.sha256
    callers: list[str] = []

    def counting(data: bytes = b"", **kwargs: Any) -> Any:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if data == pdf and caller.startswith("kho."):
            callers.append(caller)
        return real(data, **kwargs)

    monkeypatch.setattr(hashlib, "sha256", counting)
    outcome = services.deposit.deposit(pdf, "a.pdf", metadata(), SYSTEM)
    assert outcome.outcome == "created"
    assert callers == ["kho.services.original"]
    assert outcome.record["sha256"] == real(pdf).hexdigest()


def test_a_new_record_is_indexed_from_what_the_deposit_holds(
    services: Services,
    signed_pdf: Callable[..., bytes],
    metadata: Callable[..., dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = services.backends.packages.store
    read: list[str] = []

    def recording(method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(key: str, *args: Any, **kwargs: Any) -> Any:
            read.append(key)
            return method(key, *args, **kwargs)

        return wrapper

    def listing(method: Callable[..., Iterator[str]]) -> Callable[..., Iterator[str]]:
        def wrapper(prefix: str, *args: Any, **kwargs: Any) -> Iterator[str]:
            read.append(prefix)
            return method(prefix, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(store, "get", recording(store.get))
    monkeypatch.setattr(store, "stream", recording(store.stream))
    monkeypatch.setattr(store, "list", listing(store.list))
    outcome = services.deposit.deposit(
        signed_pdf("GIẤY KHAI SINH", ("Số", "no-read-back")), "a.pdf", metadata(), SYSTEM
    )
    record_id = outcome.record["record_id"]
    assert outcome.indexed
    assert not [key for key in read if key.startswith(f"records/{record_id}/")], read
    hit = services.backends.index.get(record_id)
    assert hit is not None and hit.record == {
        k: v for k, v in outcome.record.items() if k not in ("status", "reusable", "reuse_blockers")
    }
