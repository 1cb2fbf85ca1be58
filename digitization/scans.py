"""Reading the scans of one paper result: PNG, JPEG, TIFF (every frame a page) or one
unsigned PDF made of page images, within limits on bytes, pages and pixels.

Everything here is untrusted input: the format is judged by content, not by name; an image
is decoded once in full (a truncated file fails here, not in OCR); a page over the pixel
limit is refused before it is decoded, so a decompression bomb costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

import img2pdf
import pikepdf
from PIL import Image, ImageOps, ImageSequence, ImageStat

from kho.digitization.errors import ScanRejected, ScanTooLarge

__all__ = [
    "DEFAULT_DPI",
    "PageImage",
    "ScanFile",
    "ScanLimits",
    "ScanSet",
    "read_scans",
    "scan_key",
]

# A scan whose file records no resolution is taken to be at the lowest resolution DOMAIN.md
# allows for digitized results (and flagged for review, since the page size then is a guess).
DEFAULT_DPI: Final = 200.0
MIN_DPI: Final = 200.0
_MAGIC: Final = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
_PIL_FORMATS: Final = {"image/png": "PNG", "image/jpeg": "JPEG", "image/tiff": "TIFF"}


@dataclass(frozen=True)
class ScanLimits:
    max_bytes: int
    max_pages: int
    max_page_pixels: int


@dataclass(frozen=True)
class ScanFile:
    """One file as given, kept byte for byte in the archival package."""

    filename: str
    data: bytes
    sha256: str
    media_type: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class PageImage:
    """One page of the result: a frame of an image file, or an image on a PDF page."""

    number: int  # 1-based, in input order
    file_index: int
    frame: int
    width: int
    height: int
    dpi: float | None  # None: the file records none
    blank: bool


@dataclass(frozen=True)
class ScanSet:
    """The scans of one result, checked, with their pages in order."""

    files: tuple[ScanFile, ...]
    pages: tuple[PageImage, ...]

    @property
    def scan_sha256(self) -> tuple[str, ...]:
        return tuple(f.sha256 for f in self.files)

    @property
    def key(self) -> str:
        return scan_key(self.scan_sha256)

    @property
    def is_pdf(self) -> bool:
        return self.files[0].media_type == "application/pdf"

    def images(self) -> Iterator[tuple[PageImage, Image.Image]]:
        """Each page's image (for the QR code reader and the blank-page check)."""
        if self.is_pdf:
            with pikepdf.open(io.BytesIO(self.files[0].data)) as pdf:
                for page, pdf_page in zip(self.pages, pdf.pages, strict=True):
                    yield page, _largest_image(pdf_page)
            return
        for page in self.pages:
            with Image.open(io.BytesIO(self.files[page.file_index].data)) as image:
                image.seek(page.frame)
                yield page, image.copy()

    def image_pdf(self) -> bytes:
        """One PDF with a page per scanned page, the images embedded as they are (JPEG
        untouched, others as lossless PNG), sized from each page's resolution."""
        if self.is_pdf:
            return self.files[0].data
        sources: list[bytes] = []
        for page, image in self.images():
            data = self.files[page.file_index].data
            if self.files[page.file_index].media_type == "image/jpeg" and image.mode in (
                "RGB",
                "L",
            ):
                sources.append(data)
            else:
                sources.append(_png(image))
        dpis = iter([p.dpi or DEFAULT_DPI for p in self.pages])

        def layout(width_px: int, height_px: int, _dpi: object) -> tuple[float, ...]:
            dpi = next(dpis)
            width, height = width_px * 72.0 / dpi, height_px * 72.0 / dpi
            return width, height, width, height

        pdf: bytes = img2pdf.convert(sources, layout_fun=layout)
        return pdf


def scan_key(scan_sha256: Sequence[str]) -> str:
    """The identity of a set of scans: the SHA-256 of their SHA-256s in input order."""
    return hashlib.sha256("\n".join(scan_sha256).encode("ascii")).hexdigest()


def _png(image: Image.Image) -> bytes:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    elif image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _sniff(data: bytes) -> str | None:
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if b"%PDF-" in data[:1024]:
        return "application/pdf"
    return None


def _dpi(image: Image.Image) -> float | None:
    raw = image.info.get("dpi")
    try:
        dpi = float(raw[0]) if raw else None
    except (TypeError, ValueError, IndexError):
        return None
    # JPEGs without a density often say 1 or 72 "dots per inch" meaning nothing at all.
    return dpi if dpi is not None and dpi >= 50 else None


def is_blank(image: Image.Image) -> bool:
    """A page with (almost) nothing on it: a uniform grey level after scaling down."""
    gray = ImageOps.grayscale(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
    gray.thumbnail((400, 400))
    stat = ImageStat.Stat(gray)
    extrema = gray.getextrema()
    low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
    return bool(stat.stddev[0] < 2.5 or high - low < 24)


def _image_pages(index: int, scan: ScanFile, first: int, limits: ScanLimits) -> list[PageImage]:
    pages: list[PageImage] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(scan.data)) as image:
                if image.format != _PIL_FORMATS[scan.media_type]:
                    raise ScanRejected(f"{scan.filename}: not a {scan.media_type} image")
                for frame_no, frame in enumerate(ImageSequence.Iterator(image)):
                    if first + len(pages) > limits.max_pages:
                        raise ScanTooLarge(
                            f"more than {limits.max_pages} pages (KHO_DIGITIZE_MAX_PAGES)"
                        )
                    width, height = frame.size
                    if width * height > limits.max_page_pixels:
                        raise ScanTooLarge(
                            f"{scan.filename} page {frame_no + 1} has {width}×{height} pixels; "
                            f"the limit is {limits.max_page_pixels // 1_000_000} megapixels "
                            "(KHO_DIGITIZE_MAX_PAGE_MPIXELS)"
                        )
                    if width < 16 or height < 16:
                        raise ScanRejected(f"{scan.filename}: {width}×{height} is not a page")
                    frame.load()
                    pages.append(
                        PageImage(
                            number=first + len(pages),
                            file_index=index,
                            frame=frame_no,
                            width=width,
                            height=height,
                            dpi=_dpi(frame),
                            blank=is_blank(frame),
                        )
                    )
    except (ScanRejected, ScanTooLarge):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ScanTooLarge(f"{scan.filename}: the image is too large to decode") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ScanRejected(f"{scan.filename}: the image cannot be read ({exc})") from None
    return pages


def _largest_image(page: pikepdf.Page) -> Image.Image:
    best: Image.Image | None = None
    for _name, raw in page.get_images().items():
        if not isinstance(raw, pikepdf.Stream):
            continue
        image = pikepdf.PdfImage(raw).as_pil_image()
        if best is None or image.width * image.height > best.width * best.height:
            best = image
    if best is None:
        raise ScanRejected("a page of the PDF has no scanned image")
    return best


def _is_signed(pdf: pikepdf.Pdf) -> bool:
    acroform = pdf.Root.get("/AcroForm")
    if not isinstance(acroform, pikepdf.Dictionary):
        return False
    for field in acroform.get("/Fields", pikepdf.Array()):
        if (
            isinstance(field, pikepdf.Dictionary)
            and field.get("/FT") == "/Sig"
            and field.get("/V") is not None
        ):
            return True
    return False


def _pdf_pages(scan: ScanFile, limits: ScanLimits) -> list[PageImage]:
    pages: list[PageImage] = []
    try:
        with pikepdf.open(io.BytesIO(scan.data)) as pdf:
            if _is_signed(pdf):
                raise ScanRejected(
                    f"{scan.filename} is already signed: deposit it with `kho ingest`; "
                    "digitization signs unsigned scans only"
                )
            if len(pdf.pages) > limits.max_pages:
                raise ScanTooLarge(
                    f"{scan.filename} has {len(pdf.pages)} pages; the limit is "
                    f"{limits.max_pages} (KHO_DIGITIZE_MAX_PAGES)"
                )
            if not pdf.pages:
                raise ScanRejected(f"{scan.filename} has no pages")
            for number, pdf_page in enumerate(pdf.pages, start=1):
                sizes = [
                    (int(raw.get("/Width", 0)), int(raw.get("/Height", 0)))
                    for _name, raw in pdf_page.get_images().items()
                ]
                if not sizes:
                    raise ScanRejected(
                        f"{scan.filename} page {number} has no scanned image: a PDF made "
                        "elsewhere is signed there and deposited with `kho ingest`"
                    )
                width, height = max(sizes, key=lambda s: s[0] * s[1])
                if width * height > limits.max_page_pixels:
                    raise ScanTooLarge(
                        f"{scan.filename} page {number} has a {width}×{height} image; the "
                        f"limit is {limits.max_page_pixels // 1_000_000} megapixels"
                    )
                box = pdf_page.mediabox
                page_width_in = abs(float(box[2]) - float(box[0])) / 72.0
                dpi = width / page_width_in if page_width_in > 0 else None
                image = _largest_image(pdf_page)
                pages.append(
                    PageImage(
                        number=number,
                        file_index=0,
                        frame=0,
                        width=width,
                        height=height,
                        dpi=dpi,
                        blank=is_blank(image),
                    )
                )
    except (ScanRejected, ScanTooLarge):
        raise
    except pikepdf.PasswordError:
        raise ScanRejected(f"{scan.filename} is encrypted") from None
    except (pikepdf.PdfError, OSError, ValueError, TypeError, NotImplementedError) as exc:
        raise ScanRejected(f"{scan.filename}: the PDF cannot be read ({exc})") from None
    return pages


def read_scans(files: Sequence[tuple[str, bytes]], limits: ScanLimits) -> ScanSet:
    """Check the scans of one result and list its pages; ScanRejected or ScanTooLarge
    with a message naming the file otherwise."""
    if not files:
        raise ScanRejected("no scan was given")
    total = sum(len(data) for _name, data in files)
    if total > limits.max_bytes:
        raise ScanTooLarge(
            f"the scans are {total} bytes; the limit is {limits.max_bytes // (1024 * 1024)} MB"
        )
    scans: list[ScanFile] = []
    for name, data in files:
        media_type = _sniff(data) if data else None
        if media_type is None:
            raise ScanRejected(
                f"{name}: not a PNG, JPEG or TIFF image or a PDF (judged by its content)"
            )
        scans.append(ScanFile(name, data, hashlib.sha256(data).hexdigest(), media_type))
    if any(s.media_type == "application/pdf" for s in scans) and len(scans) > 1:
        raise ScanRejected("a PDF holds a whole result: give it alone, not with other pages")
    pages: list[PageImage] = []
    for index, scan in enumerate(scans):
        if scan.media_type == "application/pdf":
            pages.extend(_pdf_pages(scan, limits))
        else:
            pages.extend(_image_pages(index, scan, len(pages) + 1, limits))
    return ScanSet(tuple(scans), tuple(pages))
