"""Logging for every Kho process: one line per record, each carrying the request id of the
HTTP request it belongs to ("-" outside a request), as text or as JSON (KHO_LOG_FORMAT)."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

__all__ = ["JsonFormatter", "RequestIdFilter", "configure_logging", "request_id"]

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "kho_request_id", default=None
)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id (a handler filter: it sees the records
    of every logger, ours and the libraries')."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or "-",
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: int = logging.WARNING, *, json_lines: bool = False) -> None:
    """Send every log record to stderr through one handler with the request-id filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
