"""Extractor backends: pypdf in sandboxed worker processes (embedded) and Tika."""
