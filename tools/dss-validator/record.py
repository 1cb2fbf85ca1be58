"""Run EU DSS (the Java class beside this file) and pyHanko on every corpus file and write
tests/verification/corpus/dss-verdicts.json. Called by ./run, which builds the class path."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pyhanko_verdicts  # noqa: E402  (beside this file)

ROOT = HERE.parent.parent
CORPUS = ROOT / "tests" / "verification" / "corpus"
OUTPUT = CORPUS / "dss-verdicts.json"


def dss_version() -> str:
    pom = (HERE / "pom.xml").read_text(encoding="utf-8")
    return pom.split("<dss.version>", 1)[1].split("<", 1)[0]


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


def run_dss(files: list[dict[str, str | None]], moment: datetime) -> dict[str, dict[str, object]]:
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as jobs:
        for entry in files:
            trust = entry["trust"]
            pem = "" if trust is None else str(CORPUS / "trust" / f"{trust}.pem")
            jobs.write(f"{CORPUS / str(entry['file'])}\t{pem}\n")
    try:
        done = subprocess.run(
            [
                java(),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=off",
                "-cp",
                os.environ["CLASSPATH"],
                "kho.tools.DssVerdicts",
                moment.isoformat().replace("+00:00", "Z"),
                jobs.name,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(jobs.name).unlink()
    found: dict[str, dict[str, object]] = {}
    for line in done.stdout.splitlines():
        item = json.loads(line)
        name = str(Path(item.pop("file")).relative_to(CORPUS))
        item["class"] = str(item["class"]).replace("_", "-").replace("NO-SIGNATURE", "NO_SIGNATURE")
        for signature in item["signatures"]:
            signature["indication"] = str(signature["indication"]).replace("_", "-")
        found[name] = item
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--now", action="store_true", help="validate as of now")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # pyHanko logs tracebacks for the broken fixtures
    sources = json.loads((CORPUS / "SOURCES.json").read_text(encoding="utf-8"))
    previous = json.loads(OUTPUT.read_text(encoding="utf-8")) if OUTPUT.exists() else {}
    if args.now or "validation_time" not in previous:
        moment = datetime.now(UTC).replace(microsecond=0)
    else:
        moment = datetime.fromisoformat(previous["validation_time"])
    count = len(sources["files"])
    print(f"== DSS {dss_version()} on {count} files as of {moment}", file=sys.stderr)
    dss = run_dss(sources["files"], moment)
    print("== pyHanko", file=sys.stderr)
    files = {}
    for entry in sources["files"]:
        name = entry["file"]
        roots = pyhanko_verdicts.anchors(CORPUS, entry["trust"])
        files[name] = {
            "trust": entry["trust"],
            "dss": dss[name],
            "pyhanko": pyhanko_verdicts.verdict(CORPUS / name, roots, moment),
        }
    body = {
        "about": "EU DSS's verdict on each corpus file (offline, default validation policy, the "
        "file's trust anchors, at validation_time) and pyHanko's plain one beside it; written "
        "by tools/dss-validator/run.",
        "validation_time": moment.isoformat(),
        "dss_version": dss_version(),
        "pyhanko_version": pyhanko_version(),
        "recorded_on": f"{platform.system()} {platform.machine()}, Java {java_version()}",
        "files": files,
    }
    OUTPUT.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    agree = sum(1 for f in files.values() if f["dss"]["class"] == f["pyhanko"]["class"])
    print(f"== wrote {OUTPUT.relative_to(ROOT)}: pyHanko agrees with DSS on {agree} of "
          f"{len(files)}", file=sys.stderr)


def pyhanko_version() -> str:
    from importlib.metadata import version

    return version("pyhanko")


def java_version() -> str:
    done = subprocess.run([java(), "-version"], capture_output=True, text=True, check=False)
    first = (done.stderr or done.stdout).splitlines()[0]
    return first.split('"')[1] if '"' in first else first


if __name__ == "__main__":
    main()
