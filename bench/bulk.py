"""Build a large archive fast, for the read-side figures at 1,000,000 results (issue 18).

    .venv/bin/python bench/bulk.py --work /work/scale1m -n 1000000 --jobs 2

Result `i` is the bench corpus's (bench/corpus.py, `Corpus(n).items()`): the same metadata
that `bench/run.py` deposits one by one. Instead of signing, validating and extracting every
result, a few templates are signed, validated and extracted once, for real (one per result
type, with a placeholder subject); each result then gets a real package in the real local
store and real rows in the real index:

- its original is its template's signed PDF, shared by SHA-256 (the local store keys
  originals by SHA-256, so five originals serve the whole archive);
- its text: the template's extracted text with the subject's name and ID in place of the
  placeholder's, in the index (and in `records/<id>/text.json` with `--full`);
- its validation report: the template's (of those same bytes), kept once per template at
  `bulk-templates/<sha256>/validation.json` (per record at `records/<id>/validations/`
  with `--full`);
- `records/<id>/manifest/v000001.json`: the first manifest, built by the archive's own
  `Manifest.first` from the metadata validated by the deposit service's own check, its
  retention from the archive's schedule, its warnings from the deposit rules;
- `claims/…/0001.json`: the claim that makes the record visible;
- the index rows, written by the engine's own `upsert`, a few thousand per transaction.

What is left out, on purpose, and what it means:
- disk: every small file and folder takes a 4 KiB block on ext4, so a record's package
  (manifest and claim, in four folders) takes about 20 KiB, and `--full` (text and
  report per record) about 36 KiB; 1,000,000 full packages would not fit beside the
  others' work on this machine. Without `--full`, `kho reindex` finds no text for these
  records (their body text is in the index only), and disposing of one of them would
  remove its template's shared report;
- no fsync per file (one `sync` at the end of each batch, before the batch is marked done),
  no temporary file and rename: a crash mid-batch leaves a batch that the next run writes
  again, over itself (record ids are derived from `i`, so a re-run writes the same names);
- no audit events (`--audit` writes one `deposit` event per result through the audit
  service, as a deposit does; off by default: it is not what the read side measures);
- no content claims: the templates' bytes are shared by many result codes, which a deposit
  refuses (`duplicate-content`). `kho reindex` over this archive would report them as
  duplicates archived before the rule; lookups, searches, record views, content and
  verification reports are served as for deposited records.

Resumable and splittable: progress is kept per range in `DIR/bulk/`; a run goes on from
what is there. `--jobs N` splits the remaining range over N processes (they share the
index; SQLite serialises the writing transactions). `--start/--end` build one range only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from corpus import RESULT_TYPES, Corpus  # noqa: E402
from ulid import ULID  # noqa: E402

from kho.archive.deposit_warnings import deposit_warnings  # noqa: E402
from kho.archive.manifest import (  # noqa: E402
    ExtractionInfo,
    FileInfo,
    Manifest,
    Retention,
    ValidationEntry,
)
from kho.archive.package import Claim, claim_hash  # noqa: E402
from kho.demo.pki import TestPKI  # noqa: E402
from kho.indexer.index import IndexDocument  # noqa: E402
from kho.services import Access  # noqa: E402
from kho.services.verify import summary_of  # noqa: E402
from kho.settings import load_settings  # noqa: E402
from kho.wiring import build_services  # noqa: E402

PLACEHOLDER_NAME = "Khổng Thị Mẫu"
PLACEHOLDER_ID = "999999999999"
# The day the corpus is drawn for: fixed in the work folder at the first run, so a run on
# another day goes on with the same results.
STATE = "bulk"


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


def record_id_of(seed: int, i: int, at: datetime) -> str:
    """A ULID for result `i`: its deposit time and bytes derived from `i` (a re-run writes
    the same names)."""
    ms = int(at.timestamp() * 1000)
    tail = hashlib.sha256(f"kho-bulk-{seed}-{i}".encode()).digest()[:10]
    return str(ULID.from_bytes(ms.to_bytes(6, "big") + tail))


class Template:
    """One signed result per result type, validated and extracted for real, once."""

    def __init__(self, services: Any, pki: TestPKI, t: int, today: date) -> None:
        from run import signed_result

        code, proc, result_type, _days = RESULT_TYPES[t]
        meta = {
            "issuer_code": "000.00.15.H62",
            "result_code": f"MAU-{t}",
            "dossier_code": "000.00.15.H62-260101-0001",
            "procedure_code": code,
            "procedure_name": proc,
            "result_type": result_type,
            "subjects": [{"kind": "citizen", "id": PLACEHOLDER_ID, "name": PLACEHOLDER_NAME}],
            "issued_on": (today - timedelta(days=30)).isoformat(),
        }
        self.pdf = signed_result(pki, 900_000_000 + t, meta)
        self.sha256 = hashlib.sha256(self.pdf).hexdigest()
        b = services.backends
        report = services.verify.validate_signed(self.pdf)
        self.summary = summary_of(report)
        self.report_bytes = _json(services.verify.document(report, self.pdf, sha256=self.sha256))
        self.extraction = b.extractor.extract(self.pdf, media_type="application/pdf")
        b.packages.put_original(self.sha256, self.pdf)
        b.store.put(f"bulk-templates/{self.sha256}/validation.json", self.report_bytes)

    def page_texts(self, name: str, subject_id: str) -> tuple[str, ...]:
        return tuple(
            p.replace(PLACEHOLDER_NAME.upper(), name.upper())
            .replace(PLACEHOLDER_NAME, name)
            .replace(PLACEHOLDER_ID, subject_id)
            for p in self.extraction.page_texts
        )


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def build_range(
    work: Path, n: int, start: int, end: int, batch: int, audit: bool, full: bool
) -> None:
    state = work / STATE
    state.mkdir(parents=True, exist_ok=True)
    done_file = state / f"range-{start}-{end}.done"
    done = int(done_file.read_text()) if done_file.exists() else start
    if done >= end:
        print(f"[{start}-{end}) already built", file=sys.stderr)
        return
    today = date.fromisoformat((state / "today").read_text().strip())
    pki = TestPKI.create(work / "pki")
    settings = load_settings(
        _env_file=None,
        data_dir=work / "data",
        trust_roots=[pki.root_cert_path],
        trust_intermediates=list(pki.intermediate_cert_paths),
    )
    services = build_services(settings)
    b = services.backends
    root = Path(b.store.root)
    corpus = Corpus(n, today=today)
    templates = [Template(services, pki, t, today) for t in range(len(RESULT_TYPES))]
    actor = Access.system().actor
    zone = settings.zone
    deposited_at = datetime.now(UTC)
    print(f"[{start}-{end}) building from {done}", file=sys.stderr)
    t0 = time.perf_counter()
    first = done
    i = done
    while i < end:
        stop = min(end, i + batch)
        docs: list[IndexDocument] = []
        for j in range(i, stop):
            t, raw = corpus.metadata(j)
            tpl = templates[t]
            meta = services.deposit.check_metadata(raw)
            subject = meta.subjects[0]
            texts = tpl.page_texts(subject.name, subject.id)
            at = deposited_at
            rid = record_id_of(corpus.seed, j, at)
            if full:
                report_key = (
                    f"records/{rid}/validations/{record_id_of(corpus.seed + 1, j, at)}.json"
                )
            else:
                report_key = f"bulk-templates/{tpl.sha256}/validation.json"
            decision = b.schedule.decide(meta.result_type, meta.issued_on)
            ext = tpl.extraction
            manifest = Manifest.first(
                record_id=rid,
                metadata=meta,
                file=FileInfo(
                    sha256=tpl.sha256,
                    size=len(tpl.pdf),
                    media_type="application/pdf",
                    filename=f"kq-{j}.pdf",
                    pages=ext.pages,
                ),
                extraction=ExtractionInfo(
                    text_sha256=hashlib.sha256("\n\f".join(texts).encode()).hexdigest(),
                    chars=sum(len(p) for p in texts),
                    language=ext.language,
                    ocr_used=ext.ocr_used,
                    pages_needing_ocr=ext.pages_needing_ocr,
                    extractor=ext.extractor,
                ),
                signature=tpl.summary,
                validation=ValidationEntry(
                    validated_at=at,
                    indication=tpl.summary.indication,
                    subindication=tpl.summary.subindication,
                    report_key=report_key,
                ),
                retention=Retention(
                    rule=decision.rule,
                    period_years=decision.period_years,
                    retain_until=decision.retain_until,
                ),
                deposited_at=at,
                deposited_by=actor,
                warnings=deposit_warnings(
                    meta, texts, pages_needing_ocr=ext.pages_needing_ocr, pages=ext.pages
                ),
            )
            rec = root / "records" / rid
            if full:
                _write(rec / "text.json", _json({"pages": list(texts)}))
                _write(root / report_key, tpl.report_bytes)
            _write(rec / "manifest" / "v000001.json", manifest.to_bytes())
            h = claim_hash(meta.issuer_code, meta.result_code)
            claim = Claim(meta.issuer_code, meta.result_code, rid, tpl.sha256)
            _write(root / "claims" / h[:2] / h / "0001.json", claim.to_bytes())
            docs.append(IndexDocument.of(manifest, "\n\f".join(texts), zone))
            if audit:
                services.audit.record(
                    "deposit",
                    Access.system(),
                    outcome="created",
                    record_ids=[rid],
                    subject_ids=[subject.id],
                    detail={"result_code": meta.result_code, "sha256": tpl.sha256},
                )
        os.sync()  # the batch's files on disk before its index rows and its mark
        b.index.upsert(docs)
        done_file.write_text(str(stop))
        i = stop
        rate = (i - first) / (time.perf_counter() - t0)
        print(f"[{start}-{end}) {i} ({rate:.0f}/s)", file=sys.stderr, flush=True)
    services.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--work",
        required=True,
        metavar="DIR",
        help="the archive's folder "
        "(DIR/data is its KHO_DATA_DIR); a later run goes on from what is there",
    )
    parser.add_argument("-n", type=int, default=1_000_000, help="results (default 1,000,000)")
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--start", type=int, help="build only [START, END) (one process)")
    parser.add_argument("--end", type=int)
    parser.add_argument("--batch", type=int, default=5000, help="results per index transaction")
    parser.add_argument(
        "--full",
        action="store_true",
        help="also write each record's text "
        "and validation report in its package (about 36 KiB a record, not 20)",
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="also write a deposit audit event per result (off by default)",
    )
    args = parser.parse_args()
    work = Path(args.work)
    state = work / STATE
    state.mkdir(parents=True, exist_ok=True)
    if not (state / "today").exists():
        (state / "today").write_text(date.today().isoformat())
    if args.start is not None:
        build_range(work, args.n, args.start, args.end or args.n, args.batch, args.audit, args.full)
        return 0
    # Ranges are fixed by n and jobs at the first run (kept in DIR/bulk/ranges).
    ranges_file = state / "ranges.json"
    if ranges_file.exists():
        ranges = [tuple(r) for r in json.loads(ranges_file.read_text())]
    else:
        step = -(-args.n // args.jobs)
        ranges = [(a, min(args.n, a + step)) for a in range(0, args.n, step)]
        ranges_file.write_text(json.dumps(ranges))
    # The PKI and the templates' originals once, before the processes share them.
    TestPKI.create(work / "pki")
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--work",
                str(work),
                "-n",
                str(args.n),
                "--start",
                str(a),
                "--end",
                str(b),
                "--batch",
                str(args.batch),
            ]
            + (["--audit"] if args.audit else [])
            + (["--full"] if args.full else [])
        )
        for a, b in ranges
    ]
    codes = [p.wait() for p in procs]
    print(f"done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
