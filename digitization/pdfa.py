"""Is the copy PDF/A-2b? Checked before signing (what OCR made) and after (what is kept).

veraPDF, the reference validator, when it is installed: its `greenfield-apps` jar comes
from Maven Central (scripts/test and scripts/demo fetch it into ~/.cache/kho/downloads)
and runs on the machine's Java 17+. Without it Kho checks the structure itself, and says
so in the report (`validator`); that check covers what OCR and signing could break: the
PDF/A identification in the XMP metadata (part 2, conformance B), an output intent with
an ICC profile, a file identifier, no encryption, every font embedded, no JavaScript,
launch actions or embedded files, no LZW compression.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Final

import pikepdf

from kho.settings import Settings

__all__ = ["VERAPDF_JAR", "PdfaChecker", "PdfaReport"]

VERAPDF_VERSION: Final = "1.28.2"
VERAPDF_JAR: Final = f"greenfield-apps-{VERAPDF_VERSION}.jar"
_CANDIDATES: Final = (
    Path.home() / ".cache" / "kho" / "downloads" / VERAPDF_JAR,
    Path("/var/cache/kho/downloads") / VERAPDF_JAR,
)
_CLI: Final = "org.verapdf.apps.GreenfieldCliWrapper"
STRUCTURAL: Final = "kho structural check (veraPDF not installed)"


@dataclass(frozen=True)
class PdfaReport:
    conforms: bool
    validator: str
    flavour: str = "2b"
    failures: tuple[str, ...] = ()


class PdfaChecker:
    """Checks PDF/A-2b with veraPDF when it can be found, else structurally."""

    def __init__(self, jar: Path | None, java: str | None, timeout_s: float = 300.0) -> None:
        self.jar = jar
        self.java = java
        self.timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> PdfaChecker:
        jar = settings.verapdf_jar
        if jar is None:
            jar = next((c for c in _CANDIDATES if c.is_file()), None)
        elif not jar.is_file():
            jar = None
        return cls(jar, shutil.which("java"))

    @property
    def validator(self) -> str:
        return f"veraPDF {VERAPDF_VERSION}" if self.jar and self.java else STRUCTURAL

    def check(self, pdf: bytes) -> PdfaReport:
        return self.check_all([pdf])[0]

    def check_all(self, pdfs: list[bytes]) -> list[PdfaReport]:
        """One report per PDF, in order. veraPDF checks them all in one run: its Java
        start-up costs more than checking a copy, so the copy before signing and the
        signed one are checked together."""
        if self.jar is not None and self.java is not None:
            reports = self._verapdf(pdfs)
            if reports is not None:
                return reports
        return [structural_check(pdf) for pdf in pdfs]

    def _verapdf(self, pdfs: list[bytes]) -> list[PdfaReport] | None:
        assert self.jar is not None and self.java is not None
        with tempfile.TemporaryDirectory(prefix="kho-pdfa-") as tmp:
            paths = [Path(tmp) / f"copy-{n}.pdf" for n in range(len(pdfs))]
            for path, pdf in zip(paths, pdfs, strict=True):
                path.write_bytes(pdf)
            try:
                done = subprocess.run(
                    # C1 only and the serial collector: half the start-up time of a short run.
                    [
                        self.java,
                        "-Xmx512m",
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-cp",
                        str(self.jar),
                        _CLI,
                        "--flavour",
                        "2b",
                        "--format",
                        "json",
                        *map(str, paths),
                    ],
                    capture_output=True,
                    timeout=self.timeout_s,
                    check=False,
                    stdin=subprocess.DEVNULL,
                )
                jobs = json.loads(done.stdout)["report"]["jobs"]
                by_name = {Path(job["itemDetails"]["name"]).name: job for job in jobs}
                return [self._report(by_name.get(path.name)) for path in paths]
            except (OSError, subprocess.TimeoutExpired, ValueError, KeyError, TypeError):
                return None  # veraPDF could not run: the structural check still answers

    def _report(self, job: dict[str, object] | None) -> PdfaReport:
        results = job.get("validationResult") if isinstance(job, dict) else None
        if not isinstance(results, list) or not results:
            return PdfaReport(False, self.validator, failures=("veraPDF could not parse it",))
        result = results[0]
        failures = tuple(
            f"{rule.get('clause')}-{rule.get('testNumber')}: {rule.get('description')}"
            for rule in result.get("details", {}).get("ruleSummaries", [])
        )
        return PdfaReport(bool(result.get("compliant")), self.validator, failures=failures[:20])


def _fonts(resources: object, seen: set[tuple[int, int]]) -> list[str]:
    """Names of fonts that are not embedded, through forms and patterns too."""
    missing: list[str] = []
    if not isinstance(resources, pikepdf.Dictionary):
        return missing
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for _key, font in fonts.items():
            if not isinstance(font, pikepdf.Dictionary) or font.get("/Subtype") == "/Type3":
                continue
            descriptors = [font.get("/FontDescriptor")]
            for descendant in font.get("/DescendantFonts", pikepdf.Array()):
                if isinstance(descendant, pikepdf.Dictionary):
                    descriptors.append(descendant.get("/FontDescriptor"))
            embedded = any(
                isinstance(d, pikepdf.Dictionary)
                and any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                for d in descriptors
            )
            if not embedded:
                missing.append(str(font.get("/BaseFont", "?")))
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for _key, xobject in xobjects.items():
            if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != "/Form":
                continue
            ident = xobject.objgen
            if ident in seen:
                continue
            seen.add(ident)
            missing.extend(_fonts(xobject.get("/Resources"), seen))
    return missing


def structural_check(pdf: bytes) -> PdfaReport:
    """The checks named in the module docstring; every failure is listed."""
    failures: list[str] = []
    try:
        with pikepdf.open(BytesIO(pdf)) as doc:
            if doc.is_encrypted:
                failures.append("6.1.3: the file is encrypted")
            if "/ID" not in doc.trailer:
                failures.append("6.1.3: the trailer has no file identifier (/ID)")
            with doc.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
                part = xmp.get("pdfaid:part")
                conformance = xmp.get("pdfaid:conformance")
            if part != "2" or (conformance or "").upper() != "B":
                failures.append(
                    f"6.6.4: the XMP metadata says PDF/A part {part!r} conformance "
                    f"{conformance!r}, not 2 and B"
                )
            intents = doc.Root.get("/OutputIntents", pikepdf.Array())
            if not any(
                isinstance(i, pikepdf.Dictionary)
                and i.get("/S") == "/GTS_PDFA1"
                and isinstance(i.get("/DestOutputProfile"), pikepdf.Stream)
                for i in intents
            ):
                failures.append("6.2.3: no PDF/A output intent with an ICC profile")
            names = doc.Root.get("/Names")
            if isinstance(names, pikepdf.Dictionary):
                if "/JavaScript" in names:
                    failures.append("6.6.1: the document has JavaScript")
                if "/EmbeddedFiles" in names:
                    failures.append("6.8: the document embeds files")
            action = doc.Root.get("/OpenAction")
            if isinstance(action, pikepdf.Dictionary) and action.get("/S") in (
                "/JavaScript",
                "/Launch",
            ):
                failures.append("6.6.1: the document opens with a forbidden action")
            seen: set[tuple[int, int]] = set()
            for number, page in enumerate(doc.pages, start=1):
                for name in _fonts(page.obj.get("/Resources"), seen):
                    failures.append(f"6.2.11.4: page {number}: font {name} is not embedded")
            for obj in doc.objects:
                if isinstance(obj, pikepdf.Stream):
                    filters = obj.get("/Filter")
                    items = filters if isinstance(filters, pikepdf.Array) else [filters]
                    if any(f == "/LZWDecode" for f in items):
                        failures.append("6.1.7: LZW compression is not allowed")
                        break
    except pikepdf.PdfError as exc:
        failures.append(f"the file cannot be read: {exc}")
    return PdfaReport(not failures, STRUCTURAL, failures=tuple(failures[:20]))
