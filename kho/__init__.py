"""Kho: an electronic records archive for the signed results of administrative procedures."""

__version__ = "0.1.0"
