"""What can go wrong in retention: a schedule that cannot be used."""

from __future__ import annotations

from kho.errors import KhoError

__all__ = ["RetentionError", "ScheduleError"]


class RetentionError(KhoError):
    """Base of the retention layer's errors."""


class ScheduleError(RetentionError):
    """KHO_RETENTION_SCHEDULE names a file that cannot be read or is not a schedule."""

    problem_type = "invalid-schedule"
    title = "Invalid retention schedule"
