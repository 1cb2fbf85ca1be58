"""Prometheus metrics: one registry for the process, served at /metrics.

The services count what they do (deposits, lookups, audit appends); the API middleware
counts requests by route template, never by raw path, so the label set stays small.
With `kho serve --workers N` the workers count into prometheus-client's multiprocess files
(PROMETHEUS_MULTIPROC_DIR, made and emptied by `kho serve`), and /metrics, whichever worker
answers it, sums every worker's counts; separate servers are summed by Prometheus.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST as _CONTENT_TYPE
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    multiprocess,
)

__all__ = [
    "AUDIT_APPENDS",
    "AUDIT_BATCHES",
    "AUDIT_INDEX_FAILURES",
    "CONTENT_TYPE",
    "DEPOSITS",
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "LOOKUPS",
    "RATE_LIMITED",
    "REGISTRY",
    "render",
]

# prometheus-client's own variable, read once as it does (at import): whether this process
# writes its counts to the shared files of a multi-worker server.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

REGISTRY = CollectorRegistry()
if not MULTIPROCESS:  # per-process figures; meaningless summed over workers
    ProcessCollector(registry=REGISTRY)
    PlatformCollector(registry=REGISTRY)
    GCCollector(registry=REGISTRY)

CONTENT_TYPE = _CONTENT_TYPE

HTTP_REQUESTS = Counter(
    "kho_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "kho_http_request_duration_seconds",
    "Time to answer an HTTP request (to the start of the response body), by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
DEPOSITS = Counter(
    "kho_deposits",
    "Deposits by outcome (created, existing, conflict, invalid, failed).",
    ["outcome"],
    registry=REGISTRY,
)
LOOKUPS = Counter(
    "kho_lookups",
    "Reuse lookups answered, by whether any valid result was found.",
    ["found"],
    registry=REGISTRY,
)
AUDIT_APPENDS = Counter(
    "kho_audit_appends",
    "Audit events made durable, by action.",
    ["action"],
    registry=REGISTRY,
)
AUDIT_BATCHES = Histogram(
    "kho_audit_batch_events",
    "Events per group commit of the audit trail.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
    registry=REGISTRY,
)
AUDIT_INDEX_FAILURES = Counter(
    "kho_audit_index_failures",
    "Batches of audit events the event index could not take at once (caught up later).",
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "kho_rate_limited",
    "Requests refused with 429 by the per-key rate limit.",
    registry=REGISTRY,
)


def render() -> bytes:
    """The metrics in Prometheus' text format: of every worker, when there are several."""
    if MULTIPROCESS:
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
    return generate_latest(REGISTRY)
