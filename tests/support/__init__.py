"""Shared helpers for Kho's tests (importable because pytest's pythonpath includes tests/)."""
