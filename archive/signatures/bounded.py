"""Validation where a hostile PDF cannot starve the server: `validate_pdf` in a worker of
the process's shared pool (kho/pools.py), bounded in time and memory.

pyHanko reads a PDF's whole structure before it can check a signature: every cross-
reference entry and object of every revision after it. A signed result with an
incremental update of a million empty objects fits in the 50 MB upload limit and costs
about eight seconds of CPU and 700 MB of memory to validate. In the server's own process,
a few at once would stall every request and could exhaust the machine; in a worker, the
work is cut off at `timeout_s` (the worker killed and replaced) or `memory_bytes`
(RLIMIT_AS; a worker that came within a tenth of it is replaced and its answer dropped),
and at most the pool's workers run at once.

Only bytes and plain values cross: the file, the trust configuration (DER bytes), the
times and the policy go in, the DocumentReport comes out. Each worker keeps its own
certificate path cache, so its validations of the same signers stay cheap.
"""

from __future__ import annotations

import os
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime

from pebble import ProcessExpired

from kho.pools import NEAR, address_space_limit, peak_bytes, run_bounded

from .errors import SignatureError
from .policy import ValidationPolicy
from .status import DocumentReport
from .trust import TrustConfig

__all__ = ["ValidationLimit", "ValidationLimits", "validate_bounded"]


class ValidationLimit(SignatureError):
    """The file needs more time or memory to validate than the limits allow."""

    title = "Over the validation limits"


@dataclass(frozen=True)
class ValidationLimits:
    timeout_s: float
    memory_bytes: int
    workers: int


def _work(
    data: bytes,
    trust: TrustConfig,
    moment: datetime | None,
    now: datetime | None,
    policy: ValidationPolicy | None,
    memory_bytes: int,
) -> DocumentReport:
    from . import install
    from .validate import validate_pdf

    install()  # once per worker: the speed-ups, the libraries' loggers quiet
    try:
        with address_space_limit(memory_bytes):
            report = validate_pdf(data, trust, moment=moment, now=now, policy=policy)
    except MemoryError:
        os._exit(_OVER_MEMORY)
    # An allocation refused deep inside pyHanko is mostly caught there and turned into a
    # verdict (a revision "that cannot be followed": INDETERMINATE), not raised. A worker
    # that came this close to its limit is judged to have hit it: its answer is dropped,
    # the worker replaced, and the caller told the file needs too much memory.
    # (run_bounded gave this task a worker that was under NEAR x the limit before it.)
    peak = peak_bytes()
    if peak is not None and peak >= NEAR * memory_bytes:
        os._exit(_OVER_MEMORY)
    return report


_OVER_MEMORY = 75


def _over_memory(memory_bytes: int) -> str:
    return (
        f"validating the signatures needs more than {memory_bytes // 2**20} MB of memory "
        "(KHO_VALIDATION_MEMORY_MB)"
    )


def validate_bounded(
    data: bytes,
    trust: TrustConfig,
    limits: ValidationLimits,
    *,
    moment: datetime | None = None,
    now: datetime | None = None,
    policy: ValidationPolicy | None = None,
) -> DocumentReport:
    """`validate_pdf` in a bounded worker; ValidationLimit (an UnreadableDocument: 422)
    past its time or memory, and whatever `validate_pdf` raises for an unreadable file."""
    try:
        report: DocumentReport = run_bounded(
            limits.workers, _work, (data, trust, moment, now, policy, limits.memory_bytes),
            timeout=limits.timeout_s, memory_bytes=limits.memory_bytes,
        )  # fmt: skip
    except FutureTimeout:
        raise ValidationLimit(
            f"validating the signatures took longer than {limits.timeout_s:g} s "
            "(KHO_VALIDATION_TIMEOUT_S)"
        ) from None
    except ProcessExpired:
        raise ValidationLimit(_over_memory(limits.memory_bytes)) from None
    return report
