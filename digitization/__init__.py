"""Digitizing paper results (số hóa): scans in, a signed searchable PDF/A-2b out.

One module per step, each usable alone: `scans` (read and check the scans), `ocr` (OCRmyPDF
with Tesseract `vie`), `qr` (the national QR code), `proposals` (metadata proposed from the
text), `signing` (the agency's signature with pyHanko), `pdfa` (the PDF/A checks). The
service that runs them and deposits the copy is services/digitize.py.
"""
