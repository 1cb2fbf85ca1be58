"""Scans of paper results made by Kho itself, for the tests, the benchmark and the README.

A Vietnamese result is drawn at a scanner's resolution (200-300 dpi) in DejaVu Sans, laid
out as a one-stop shop prints it, optionally with the national QR code, then made to look
scanned: turned a little, blurred, speckled. `python -m kho.demo.scans FOLDER` writes a few
with a batch CSV for `kho digitize --batch`.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from kho.demo.documents import find_font

__all__ = ["PaperResult", "render_scan", "sample_results", "write_samples"]

_MM_PER_INCH = 25.4
_A4_MM = (210.0, 297.0)


@dataclass(frozen=True)
class PaperResult:
    title: str
    notation: str  # "Số: …" as printed
    facts: Sequence[tuple[str, str]]
    issued_on: date
    authority: tuple[str, ...] = ("ỦY BAN NHÂN DÂN", "XÃ TÂN PHONG")
    place: str = "Tân Phong"
    signer_title: str = "CHỦ TỊCH"
    signer_name: str = "Hoàng Văn Thắng"
    qr_payload: str | None = None
    body: Sequence[str] = field(default_factory=tuple)


def _font(size_pt: float, dpi: float, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = find_font()
    if bold and path.with_name("DejaVuSans-Bold.ttf").is_file():
        path = path.with_name("DejaVuSans-Bold.ttf")
    return ImageFont.truetype(str(path), max(6, round(size_pt * dpi / 72)))


def render_scan(
    result: PaperResult,
    *,
    dpi: int = 200,
    rotate: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """The result as a scanner would give it: an RGB A4 page at `dpi`, turned by `rotate`
    degrees, blurred by a Gaussian of `blur` pixels, with `noise` (0..1) of specks."""
    px = dpi / _MM_PER_INCH
    width, height = round(_A4_MM[0] * px), round(_A4_MM[1] * px)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    margin = 20 * px
    half = (width - 2 * margin) / 2

    def centred(text: str, x0: float, span: float, y: float, font: ImageFont.FreeTypeFont) -> None:
        w = draw.textlength(text, font=font)
        draw.text((x0 + (span - w) / 2, y), text, font=font, fill="black")

    regular, bold = _font(11, dpi), _font(11, dpi, bold=True)
    line = 7 * px
    y = 15 * px
    for i, text in enumerate(result.authority):
        centred(text, margin, half, y + i * line, bold)
    centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", margin + half, half, y, bold)
    centred("Độc lập - Tự do - Hạnh phúc", margin + half, half, y + line, regular)
    y += max(2, len(result.authority)) * line + 2 * px
    centred(result.notation, margin, half, y, regular)
    y += 3 * line
    title = _font(17, dpi, bold=True)
    centred(result.title, margin, width - 2 * margin, y, title)
    y += 3 * line
    label_width = 65 * px
    for label, value in result.facts:
        draw.text((margin, y), f"{label}:", font=regular, fill="black")
        draw.text((margin + label_width, y), value, font=bold, fill="black")
        y += line * 1.3
    for text in result.body:
        y += line * 0.3
        draw.text((margin, y), text, font=regular, fill="black")
        y += line
    y += 2 * line
    d = result.issued_on
    centred(
        f"{result.place}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}",
        margin + half,
        half,
        y,
        regular,
    )
    centred(result.signer_title, margin + half, half, y + line, bold)
    centred(result.signer_name, margin + half, half, y + 5 * line, bold)
    if result.qr_payload:  # bottom left, where one-stop shops print it
        qr = segno.make(result.qr_payload, error="m", encoding="utf-8")
        scale = max(2, round(0.5 * px))
        rows = [list(row) for row in qr.matrix_iter(scale=scale, border=2)]
        image = Image.new("1", (len(rows[0]), len(rows)), 1)
        image.putdata([0 if dark else 1 for row in rows for dark in row])
        page.paste(image, (round(margin), round(y)))
    return _as_scanned(page, dpi=dpi, rotate=rotate, blur=blur, noise=noise, seed=seed)


def _as_scanned(
    page: Image.Image, *, dpi: int, rotate: float, blur: float, noise: float, seed: int
) -> Image.Image:
    if rotate:
        page = page.rotate(
            rotate, resample=Image.Resampling.BICUBIC, expand=False, fillcolor="white"
        )
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = random.Random(seed)  # noqa: S311 - specks on a test page, not a secret
        draw = ImageDraw.Draw(page)
        specks = int(noise * page.width * page.height / 400)
        for _ in range(specks):
            x, y = rng.randrange(page.width), rng.randrange(page.height)
            shade = rng.randrange(0, 256)
            draw.point((x, y), fill=(shade, shade, shade))
    page.info["dpi"] = (dpi, dpi)
    return page


def sample_results() -> list[tuple[PaperResult, dict[str, object]]]:
    """Two paper results with the deposit metadata an officer would confirm for them."""
    birth = PaperResult(
        title="GIẤY KHAI SINH",
        notation="Số: 000.00.15.H62-190315-0042-KQ1",
        facts=[
            ("Họ, chữ đệm, tên", "NGUYỄN THỊ HỒNG NHUNG"),
            ("Ngày, tháng, năm sinh", "02/09/2018"),
            ("Số định danh cá nhân", "012318004567"),
            ("Mã hồ sơ", "000.00.15.H62-190315-0042"),
        ],
        issued_on=date(2019, 3, 15),
    )
    household = PaperResult(
        title="GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
        notation="Số: 000.00.15.H62-200610-0107-KQ1",
        facts=[
            ("Tên hộ kinh doanh", "CỬA HÀNG TẠP HÓA BÌNH AN"),
            ("Chủ hộ kinh doanh", "TRẦN VĂN ĐỨC"),
            ("Số định danh cá nhân", "001203001234"),
            ("Mã hồ sơ", "000.00.15.H62-200610-0107"),
        ],
        issued_on=date(2020, 6, 10),
    )
    metas: list[dict[str, object]] = [
        {
            "issuer_code": "000.00.15.H62",
            "procedure_code": "1.001193",
            "procedure_name": "Thủ tục đăng ký khai sinh",
        },
        {
            "issuer_code": "000.00.15.H62",
            "procedure_code": "2.000720",
            "procedure_name": "Đăng ký thành lập hộ kinh doanh",
        },
    ]
    return list(zip([birth, household], metas, strict=True))


def write_samples(folder: Path) -> list[Path]:
    """Write the sample scans (a PNG and a two-page TIFF) and `batch.csv` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (birth, birth_meta), (household, household_meta) = sample_results()
    birth_path = folder / "khai-sinh.png"
    render_scan(birth, rotate=1.2, blur=0.6, noise=0.02).save(birth_path, dpi=(200, 200))
    household_path = folder / "ho-kinh-doanh.tiff"
    first = render_scan(household, rotate=-0.8, noise=0.02, seed=1)
    second = render_scan(
        PaperResult(
            title="NGÀNH, NGHỀ KINH DOANH",
            notation="Trang 2",
            facts=[("Ngành, nghề", "Bán lẻ hàng tạp hóa")],
            issued_on=household.issued_on,
        ),
        noise=0.02,
        seed=2,
    )
    first.save(
        household_path,
        save_all=True,
        append_images=[second],
        dpi=(200, 200),
        compression="tiff_deflate",
    )
    rows = [(birth_path, birth_meta), (household_path, household_meta)]
    with (folder / "batch.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "issuer_code", "procedure_code", "procedure_name"])
        for path, meta in rows:
            writer.writerow(
                [path.name, meta["issuer_code"], meta["procedure_code"], meta["procedure_name"]]
            )
    return [birth_path, household_path]


DEMO_PASSWORD = "demo"  # noqa: S105 - the demo key, printed in the README


def main(folder: Path) -> None:
    """Sample scans, their batch CSV and a test PKI with the agency's key as PKCS#12
    (for trying `kho digitize`; never for real signatures): one JSON line per file."""
    from kho.demo.pki import TestPKI

    written = write_samples(folder)
    pki = TestPKI.create(folder / "pki")
    key = pki.write_pkcs12(folder / "test-agency.p12", DEMO_PASSWORD)
    for path in [
        *written,
        folder / "batch.csv",
        key,
        pki.root_cert_path,
        *pki.intermediate_cert_paths,
    ]:
        print(json.dumps({"file": str(path)}, ensure_ascii=False))


if __name__ == "__main__":  # python -m kho.demo.scans FOLDER
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "scans"))
