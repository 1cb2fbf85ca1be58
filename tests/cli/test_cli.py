"""The installed `kho` command, run as a user runs it, on every requested stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.backends import settings_overrides

from kho.demo.pki import TestPKI

KHO = str(Path(sys.executable).with_name("kho"))
Meta = Callable[..., dict[str, Any]]
Pdf = Callable[..., bytes]


@pytest.fixture
def kho_env(stack: str, tmp_path: Path, pki: TestPKI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    for name, value in settings_overrides(stack, tmp_path).items():
        env[f"KHO_{name.upper()}"] = str(value)
    env["KHO_TRUST_ROOTS"] = str(pki.root_cert_path)
    env["KHO_TRUST_INTERMEDIATES"] = os.pathsep.join(str(p) for p in pki.intermediate_cert_paths)
    env["KHO_CRLS"] = os.pathsep.join(str(p) for p in pki.crl_paths)
    return env


@pytest.fixture
def kho(kho_env: dict[str, str], tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KHO, *args],
            capture_output=True,
            text=True,
            env={**kho_env, **(env or {})},
            cwd=tmp_path,
            timeout=300,
        )

    return run


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def test_help_lists_every_command(kho: Callable[..., Any]) -> None:
    result = kho("--help")
    assert result.returncode == 0
    for command in (
        "serve",
        "demo",
        "ingest",
        "lookup",
        "search",
        "verify",
        "reindex",
        "fixity",
        "audit",
        "retention",
        "keys",
    ):
        assert command in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("--bogus",),
        ("nonsense",),
        ("verify",),
        ("ingest", "--nope"),
        ("keys", "create", "--agency", "H62"),
        ("serve", "--port", "http"),
    ],
)
def test_usage_errors_exit_64(kho: Callable[..., Any], args: tuple[str, ...]) -> None:
    result = kho(*args)
    assert result.returncode == 64, result.stderr
    no_traceback(result)


def test_a_wrong_setting_is_named_without_a_traceback(kho: Callable[..., Any]) -> None:
    result = kho("reindex", env={"KHO_MAX_UPLOAD_MB": "lots", "KHO_STORAGE": "floppy"})
    assert result.returncode == 78
    assert "KHO_MAX_UPLOAD_MB" in result.stderr and "KHO_STORAGE" in result.stderr
    no_traceback(result)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ingest_prints_one_line_per_input_and_goes_on_past_bad_ones(
    kho: Callable[..., Any],
    tmp_path: Path,
    signed_pdf: Pdf,
    make_pdf: Pdf,
    metadata: Meta,
    jobs: str,
) -> None:
    """The same lines in the same order with --jobs 2 (two deposits at once) as with one."""
    files = {
        "good.pdf": signed_pdf("GIẤY KHAI SINH", ("Họ tên", "Trần Văn Đức")),
        "unsigned.pdf": make_pdf("GIẤY KHAI SINH"),
        "notpdf.pdf": b"hello",
        "second.pdf": signed_pdf("PHIẾU LÝ LỊCH TƯ PHÁP"),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    metas = [metadata(), metadata(), metadata(), metadata(), {"issuer_code": "bad code"}]
    (tmp_path / "meta.json").write_text(json.dumps(metas, ensure_ascii=False), encoding="utf-8")
    args = [*files, "missing.pdf", "--metadata", "meta.json"]

    result = kho("ingest", "--jobs", jobs, *args)
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    out = lines(result.stdout)
    assert [line["index"] for line in out] == [0, 1, 2, 3, 4]
    assert [line["file"] for line in out] == args[:5]
    assert [line["outcome"] for line in out] == [
        "created",
        "invalid",
        "invalid",
        "created",
        "invalid",
    ]
    assert out[0]["record_id"] and out[0]["problem"] is None
    assert out[0]["result_code"] == metas[0]["result_code"]
    assert out[1]["problem"]["type"] == "/problems/unsigned-document"
    assert out[2]["problem"]["status"] == 415
    assert out[4]["problem"]["type"] == "/problems/invalid-metadata"

    (tmp_path / "pair.json").write_text(
        json.dumps([metas[0], metas[3]], ensure_ascii=False), encoding="utf-8"
    )
    again = kho("ingest", "--jobs", jobs, "good.pdf", "second.pdf", "--metadata", "pair.json")
    assert again.returncode == 0, again.stderr
    repeated = lines(again.stdout)
    assert [line["outcome"] for line in repeated] == ["existing", "existing"]
    assert repeated[0]["record_id"] == out[0]["record_id"]


def test_ingest_with_jobs_deposits_every_file_once_and_counts_them(
    kho: Callable[..., Any], tmp_path: Path, signed_pdf: Pdf, metadata: Meta
) -> None:
    """Two deposits at once over twelve files: every file created once, in input order, the progress
    on stderr counting to the end; the same bytes twice in one run (two codes) are one
    record and one duplicate-content conflict, whichever was under way first."""
    names = []
    for n in range(12):
        name = f"kq-{n:02d}.pdf"
        (tmp_path / name).write_bytes(signed_pdf("GIẤY KHAI SINH", ("Số thứ tự", str(n))))
        names.append(name)
    names.append("kq-00.pdf")  # the same bytes again, under another result code
    metas = [metadata() for _ in names]
    (tmp_path / "meta.json").write_text(json.dumps(metas, ensure_ascii=False), encoding="utf-8")
    result = kho("ingest", "--jobs", "2", *names, "--metadata", "meta.json")
    assert result.returncode == 1, result.stderr
    no_traceback(result)
    out = lines(result.stdout)
    assert [line["index"] for line in out] == list(range(13))
    assert [line["outcome"] for line in out[:12]] == ["created"] * 12
    assert len({line["record_id"] for line in out[:12]}) == 12
    assert out[12]["outcome"] == "conflict"
    assert out[12]["problem"]["type"] == "/problems/duplicate-content"
    assert out[12]["record_id"] == out[0]["record_id"]
    assert "13/13" in result.stderr, result.stderr
    fixity = kho("fixity")
    assert fixity.returncode == 0, fixity.stdout + fixity.stderr


def test_ingest_jobs_must_be_positive(kho: Callable[..., Any], tmp_path: Path) -> None:
    result = kho("ingest", "--jobs", "0", "a.pdf", "--metadata", "m.json")
    assert result.returncode == 64
    assert "--jobs" in result.stderr
    no_traceback(result)


def test_ingest_reports_a_conflict(
    kho: Callable[..., Any], tmp_path: Path, signed_pdf: Pdf, metadata: Meta
) -> None:
    meta = metadata()
    (tmp_path / "a.pdf").write_bytes(signed_pdf("GIẤY KHAI SINH"))
    (tmp_path / "b.pdf").write_bytes(signed_pdf("GIẤY KHAI SINH (KHÁC)"))
    (tmp_path / "m.json").write_text(json.dumps([meta, meta]), encoding="utf-8")
    result = kho("ingest", "a.pdf", "b.pdf", "--metadata", "m.json")
    assert result.returncode == 1
    out = lines(result.stdout)
    assert [line["outcome"] for line in out] == ["created", "conflict"]
    assert out[1]["record_id"] == out[0]["record_id"]
    assert out[1]["problem"]["status"] == 409


def test_ingest_a_batch_csv(
    kho: Callable[..., Any], tmp_path: Path, signed_pdf: Pdf, metadata: Meta
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(signed_pdf("GIẤY KHAI SINH"))
    (folder / "b.pdf").write_bytes(signed_pdf("GIẤY CHỨNG NHẬN ĐĂNG KÝ DOANH NGHIỆP"))
    m1, m2 = metadata(), metadata()
    rows = [
        "file,issuer_code,result_code,dossier_code,procedure_code,procedure_name,result_type,"
        "subjects,issued_on,valid_from,valid_until,validity_scope",
        f"a.pdf,{m1['issuer_code']},{m1['result_code']},{m1['dossier_code']},1.001193,"
        f"Thủ tục đăng ký khai sinh,Giấy khai sinh,citizen:001203001234:Trần Văn Đức,"
        f"{m1['issued_on']},,,Toàn quốc",
        f"b.pdf,{m2['issuer_code']},{m2['result_code']},{m2['dossier_code']},2.001610,"
        f"Đăng ký doanh nghiệp,Giấy chứng nhận đăng ký doanh nghiệp,"
        f"enterprise:0101234565:Công ty TNHH Sông Hồng;citizen:079085004321:Lê Minh Tuấn,"
        f"{m2['issued_on']},,,",
        f"c.pdf,{m2['issuer_code']},x,,,,,not-a-subject,,,,",
    ]
    (folder / "batch.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = kho("ingest", "--batch", str(folder / "batch.csv"))
    out = lines(result.stdout)
    assert [line["outcome"] for line in out] == ["created", "created", "invalid"]
    assert result.returncode == 1
    no_traceback(result)


def test_ingest_with_misaligned_metadata_is_a_usage_error(
    kho: Callable[..., Any], tmp_path: Path, metadata: Meta
) -> None:
    (tmp_path / "m.json").write_text(json.dumps([metadata()]), encoding="utf-8")
    (tmp_path / "a.pdf").write_bytes(b"x")
    (tmp_path / "b.pdf").write_bytes(b"x")
    result = kho("ingest", "a.pdf", "b.pdf", "--metadata", "m.json")
    assert result.returncode == 64
    assert "align" in result.stderr


def test_reindex_fixity_and_audit_verify(
    kho: Callable[..., Any], tmp_path: Path, signed_pdf: Pdf, metadata: Meta, stack: str
) -> None:
    (tmp_path / "a.pdf").write_bytes(signed_pdf("GIẤY KHAI SINH"))
    (tmp_path / "m.json").write_text(json.dumps(metadata()), encoding="utf-8")
    created = lines(kho("ingest", "a.pdf", "--metadata", "m.json").stdout)[0]

    reindex = kho("reindex")
    assert reindex.returncode == 0, reindex.stderr
    assert json.loads(reindex.stdout.splitlines()[-1])["indexed"] == 1

    fixity = kho("fixity")
    assert fixity.returncode == 0, fixity.stderr
    assert json.loads(fixity.stdout)["checked"] == 1

    audit = kho("audit", "verify")
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout.splitlines()[-1])["ok"] is True

    if stack == "embedded":
        records = tmp_path / "kho-data" / "store" / "records"
        manifest = records / created["record_id"] / "manifest" / "v000001.json"
        sha = json.loads(manifest.read_text())["file"]["sha256"]
        original = tmp_path / "kho-data" / "store" / "originals" / sha[:2] / sha
        data = bytearray(original.read_bytes())
        data[100] ^= 0xFF
        original.write_bytes(bytes(data))
        broken = kho("fixity")
        assert broken.returncode == 1
        assert created["record_id"] in broken.stderr


def test_keys_create_prints_the_key_alone_on_the_last_line(kho: Callable[..., Any]) -> None:
    result = kho(
        "keys", "create", "--agency", "000.00.15.H62", "--scopes", "records:read,audit:read"
    )
    assert result.returncode == 0, result.stderr
    *info, last = result.stdout.strip().splitlines()
    assert last.startswith("kho_") and " " not in last
    assert json.loads(info[0])["scopes"] == ["audit:read", "records:read"]
    listed = lines(kho("keys", "list").stdout)
    assert len(listed) == 1 and "digest" not in listed[0]
    assert last not in kho("keys", "list").stdout

    bad = kho("keys", "create", "--agency", "000.00.15.H62", "--scopes", "everything")
    assert bad.returncode == 1
    assert "unknown scopes" in bad.stderr
    no_traceback(bad)
