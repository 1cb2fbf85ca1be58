"""Retention: schedules, what a record must be kept until, and (later) disposal and holds."""
