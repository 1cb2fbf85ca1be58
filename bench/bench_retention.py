"""Retention speed: the due list over many records, and disposing of many in one batch.

    .venv/bin/python bench/bench_retention.py --due 1000000 --dispose 10000

* due list: the schedule's decision and the due rule over N manifests streamed (clones of
  one real manifest with varied issue dates and result types, so the store's read speed is
  not what is measured), plus the same scan from the local store over the disposal corpus;
* disposal: N record packages (a real deposit cloned: original, text, report, manifest,
  claim) in a fresh local store, proposed as one batch and approved by another principal
  — chunked execution with a tombstone, deletions, index update and an audit event each.
  Memory is reported as the peak RSS (a batch must not grow with N).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from kho.archive.manifest import Actor, Manifest  # noqa: E402
from kho.archive.package import Claim  # noqa: E402
from kho.demo.documents import ResultDocument, render_pdf  # noqa: E402
from kho.demo.pki import TestPKI  # noqa: E402
from kho.retention.decide import retention_of  # noqa: E402
from kho.retention.due import DueScan  # noqa: E402
from kho.services import Access  # noqa: E402
from kho.settings import load_settings  # noqa: E402
from kho.wiring import build_services  # noqa: E402

TYPES = ["Giấy xác nhận tình trạng hôn nhân", "Phiếu lý lịch tư pháp", "Giấy khai sinh"]
SCHEDULE = {TYPES[0]: 5, TYPES[1]: 5, TYPES[2]: "permanent"}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=100_000, help="manifests in the due scan")
    parser.add_argument("--dispose", type=int, default=1_000, help="records to dispose of")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kho-bench-retention-") as tmp:
        folder = Path(tmp)
        pki = TestPKI.create(folder / "pki")
        (folder / "schedule.json").write_text(json.dumps(SCHEDULE, ensure_ascii=False))
        settings = load_settings(
            _env_file=None,
            data_dir=folder / "data",
            trust_roots=[pki.root_cert_path],
            trust_intermediates=list(pki.intermediate_cert_paths),
            retention_schedule=folder / "schedule.json",
        )
        services = build_services(settings)
        services.backends.clock = lambda: datetime(2030, 6, 1, 3, 0, tzinfo=UTC)
        doc = ResultDocument(
            authority="ỦY BAN NHÂN DÂN\nXÃ TÂN PHONG",
            title="GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
            notation="Số: 1/2010",
            facts=[("Họ, chữ đệm, tên", "NGUYỄN VĂN AN")],
            place="Tân Phong",
            issued_on=date(2010, 1, 2),
            signer_title="CHỦ TỊCH",
            signer_name="Hoàng Văn Thắng",
        )
        meta = {
            "issuer_code": "000.00.15.H62",
            "result_code": "000.00.15.H62-100102-0001-KQ1",
            "dossier_code": "000.00.15.H62-100102-0001",
            "procedure_code": "1.004873",
            "procedure_name": "Cấp giấy xác nhận tình trạng hôn nhân",
            "result_type": TYPES[0],
            "subjects": [{"kind": "citizen", "id": "001203001234", "name": "Nguyễn Văn An"}],
            "issued_on": "2010-01-02",
        }
        first = services.deposit.deposit(
            pki.sign_pdf(render_pdf(doc), "agency"), "a.pdf", meta, Access.system()
        )
        template = services.backends.packages.latest_manifest(first.record["record_id"])

        # -- the due list over N streamed manifests ----------------------------------------
        schedule, zone = services.backends.schedule, settings.zone

        def clones() -> Iterator[Manifest]:
            for i in range(args.due):
                m = template.model_copy(
                    update={
                        "record_id": f"R{i:025d}",
                        "result_type": TYPES[i % 3],
                        "issued_on": date(2000 + i % 30, 1 + i % 12, 1),
                    }
                )
                yield m.model_copy(update={"retention": retention_of(schedule, m, zone, ())})

        start = time.perf_counter()
        scan = DueScan(services.backends.packages, date(2030, 6, 1), (), manifests=clones)
        due = sum(1 for _ in scan)
        seconds = time.perf_counter() - start
        print(
            f"due list (decide + due, streamed): {scan.checked:,} records, {due:,} due, "
            f"{seconds:.1f} s ({scan.checked / seconds:,.0f}/s), peak RSS {rss_mb():.0f} MB"
        )

        # -- N packages to dispose of --------------------------------------------------------
        packages, store = services.backends.packages, services.backends.store
        report_key = template.validations[0].report_key
        report = store.get(report_key)
        text = services.backends.packages.get_text(template.record_id)
        start = time.perf_counter()
        ids = []
        for i in range(args.dispose):
            data = f"original {i}".encode()
            sha = hashlib.sha256(data).hexdigest()
            rid = f"D{i:025d}"
            key = f"records/{rid}/validations/01BENCH{i:019d}.json"
            store.put(key, report)
            packages.put_original(sha, data)
            packages.put_text(rid, text)
            m = template.model_copy(
                update={
                    "record_id": rid,
                    "result_code": f"BENCH-{i}",
                    "file": template.file.model_copy(update={"sha256": sha, "size": len(data)}),
                    "validations": (
                        template.validations[0].model_copy(update={"report_key": key}),
                    ),
                }
            )
            packages.write_manifest(m)
            packages.write_claim(Claim(m.issuer_code, m.result_code, rid, sha))
            ids.append(rid)
        print(f"disposal corpus: {args.dispose:,} packages in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        scan = services.retention.due()
        due = sum(1 for _ in scan)
        seconds = time.perf_counter() - start
        print(
            f"due list from the local store: {scan.checked:,} records, {due:,} due, {seconds:.1f} s"
        )

        alice = Access(actor=Actor(user="luutru"))
        bob = Access(actor=Actor(user="luutru2"))
        start = time.perf_counter()
        batch = services.retention.propose(ids, "Hết thời hạn bảo quản", alice)
        proposed = time.perf_counter() - start
        start = time.perf_counter()
        done = services.retention.approve(batch.batch_id, bob)
        seconds = time.perf_counter() - start
        assert done.status == "executed", done
        print(
            f"disposal of {batch.count:,} records: proposal {proposed:.1f} s, execution "
            f"{seconds:.1f} s ({batch.count / seconds:,.0f} records/s, {batch.chunks} chunks), "
            f"peak RSS {rss_mb():.0f} MB"
        )
        services.close()


if __name__ == "__main__":
    main()
