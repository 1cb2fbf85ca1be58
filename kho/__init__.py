"""Kho: an electronic records archive for the signed results of administrative procedures.

This folder is the namespace root, the kernel every layer may use (settings, errors, logs,
metrics) and the composition root (wiring, server); the other rooms are its sub-packages
through symlinks to the top-level folders (see pyproject.toml)."""

__version__ = "0.1.0"
