"""The local store's writes for one deposit, alone: CPU and wall time per record.

Each record is what a deposit writes to the embedded default's folder store: a package of
five files in one `put_many` (original, text, report, first manifest, outbox entry), then
two create-only claims, each durable before its call returns. CPU time (this process's
user + system, fsync threads included) is the figure that says what the store costs a
deposit; wall time is mostly the disk's fsyncs.

    .venv/bin/python bench/bench_store.py [-n 300] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from ulid import ULID

from kho.archive.stores.local import LocalObjectStore


def one_record(store: LocalObjectStore) -> None:
    record = str(ULID())
    folder = f"records/{record[-2:]}/{record}"
    store.put_many(
        [
            (f"{folder}/original.pdf", b"%PDF" + b"x" * 30_000, True),
            (f"{folder}/text.json", b"t" * 3_000, True),
            (f"{folder}/report.json", b"r" * 3_000, True),
            (f"{folder}/manifest-0001.json", b"m" * 2_000, True),
            (f"outbox/{record}", b"{}", False),
        ]
    )
    store.put(f"claims/{record}", b"{}", create_only=True)
    store.put(f"content/{record}", b"{}", create_only=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=300, help="records written (default 300)")
    parser.add_argument("--dir", default=None, help="where the temporary store goes")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kho-bench-store-", dir=args.dir) as tmp:
        store = LocalObjectStore(Path(tmp))
        for _ in range(20):  # the first folders made, the fsync threads started
            one_record(store)
        before, wall = os.times(), time.perf_counter()
        for _ in range(args.n):
            one_record(store)
        after, wall = os.times(), time.perf_counter() - wall
        user, system = after.user - before.user, after.system - before.system
    print(
        f"local store, one deposit's writes: {args.n / wall:.0f} records/s; "
        f"CPU {1000 * user / args.n:.2f} ms user + {1000 * system / args.n:.2f} ms system, "
        f"{1000 * wall / args.n:.2f} ms wall a record "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
