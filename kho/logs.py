"""Logging for every Kho process: one line per record, each carrying the request id of the
HTTP request it belongs to ("-" outside a request), as text or as JSON (KHO_LOG_FORMAT).
Times are RFC 3339 with the offset of KHO_TIMEZONE (once the settings are read), like every
other time Kho shows."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import datetime, tzinfo

__all__ = ["JsonFormatter", "RequestIdFilter", "TextFormatter", "configure_logging", "request_id"]

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


def _moment(record: logging.LogRecord, zone: tzinfo | None) -> str:
    at = (
        datetime.fromtimestamp(record.created, zone)
        if zone
        else datetime.fromtimestamp(record.created).astimezone()
    )
    return at.isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT, its time in `zone` (the machine's own zone if None), with the offset."""

    def __init__(self, zone: tzinfo | None = None) -> None:
        super().__init__(TEXT_FORMAT)
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _moment(record, self.zone)


class JsonFormatter(logging.Formatter):
    def __init__(self, zone: tzinfo | None = None) -> None:
        super().__init__()
        self.zone = zone

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "at": _moment(record, self.zone),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or "-",
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure_logging(
    level: int = logging.WARNING, *, json_lines: bool = False, zone: tzinfo | None = None
) -> None:
    """Send every log record to stderr through one handler with the request-id filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter(zone) if json_lines else TextFormatter(zone))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
