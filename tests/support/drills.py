"""Engines laid out as on several machines, on loopback, for the drills
(tests/integration/test_drills.py): MinIO as one erasure-coded server over four drives, and
Elasticsearch as a two-node cluster. The binaries are the ones `scripts/services install`
put in the cache; each drill runs its own processes on free ports and stops them after."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def services_script() -> ModuleType:
    """scripts/services as a module: its cache paths, Java lookup and ES user."""
    path = str(REPO / "scripts" / "services")
    loader = importlib.machinery.SourceFileLoader("kho_services_script", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def http_json(url: str, method: str = "GET", timeout: float = 5.0) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return response.status, json.loads(body) if body.strip() else None
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return 0, None


def wait_for(what: str, check: Any, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what}: not ready after {timeout:.0f} s\n{tail}")


class _Process:
    """One server process leading its own process group, logging to a file."""

    def __init__(self, cmd: list[str], env: dict[str, str], log: Path, cwd: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=cwd,
            )  # fmt: skip

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass


class ErasureMinIO:
    """`minio server DIR/d{1...4}`: one server, four drives, erasure coding with the
    default parity for four drives (EC:2): any two drives hold every object."""

    def __init__(self, root: Path, drives: int = 4) -> None:
        self.root = root
        self.drives = [root / f"d{n}" for n in range(1, drives + 1)]
        self.port = free_port()
        self.console = free_port()
        self.user = f"drill{secrets.token_hex(4)}"
        self.password = secrets.token_hex(16)
        self.process: _Process | None = None

    @property
    def endpoint(self) -> str:
        return f"{HOST}:{self.port}"

    def start(self) -> None:
        binary = services_script().MinIO().binary()
        if not os.access(binary, os.X_OK):
            raise RuntimeError(f"no MinIO at {binary}: run `scripts/services install minio`")
        for drive in self.drives:
            drive.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            MINIO_ROOT_USER=self.user,
            MINIO_ROOT_PASSWORD=self.password,
            MINIO_UPDATE="off",
            # The four "drives" are folders of one disk, the root disk on a CI machine:
            # MinIO refuses root-disk drives in erasure mode unless told this is a test.
            MINIO_CI_CD="on",
        )
        pattern = str(self.root / f"d{{1...{len(self.drives)}}}")
        cmd = [str(binary), "server", pattern, "--address", self.endpoint,
               "--console-address", f"{HOST}:{self.console}"]  # fmt: skip
        self.process = _Process(cmd, env, self.root / "minio.log", self.root)
        wait_for("MinIO", self.ready, 120, self.process.log)

    def ready(self) -> bool:
        return http_json(f"http://{self.endpoint}/minio/health/ready")[0] == 200

    def cluster_status(self) -> int:
        """200 while the server has write quorum, 503 without it (MinIO's health API)."""
        return http_json(f"http://{self.endpoint}/minio/health/cluster")[0]

    def parts_on(self, drive: Path, bucket: str) -> set[str]:
        """The object names whose erasure-coded part (`xl.meta`) is on `drive`."""
        base = drive / bucket
        return {
            str(meta.parent.relative_to(base)) for meta in base.rglob("xl.meta")
        } if base.is_dir() else set()  # fmt: skip

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


class ESNode:
    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = root / name
        self.http = free_port()
        self.transport = free_port()
        self.process: _Process | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.http}"


class ESCluster:
    """Two Elasticsearch nodes on loopback, one cluster, a small heap each.

    `n1` is master-eligible and holds data; `n2` holds data only. With two nodes only one
    can be master-eligible: a two-master cluster stops when either goes (a vote needs a
    majority of two), so the drill stops `n2`, and a real deployment runs three
    master-eligible nodes to lose any one."""

    HEAP = "-Xms256m -Xmx256m"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cluster = f"kho-drill-{secrets.token_hex(4)}"
        self.nodes = [ESNode("n1", root), ESNode("n2", root)]

    def node(self, name: str) -> ESNode:
        return next(n for n in self.nodes if n.name == name)

    def start(self) -> None:
        script = services_script()
        es = script.Elasticsearch()
        home = es.home()
        if not (home / ".kho-unpacked").exists():
            raise RuntimeError(f"no Elasticsearch at {home}: run `scripts/services install es`")
        self.java = script.find_java21()
        self.home = home
        self.user = script.es_user()
        if self.user:
            script.ensure_user(self.user)
            os.chmod(self.root, 0o755)  # the ES user reaches its nodes' folders
        for node in self.nodes:
            self._launch(script, node)
        for node in self.nodes:
            assert node.process is not None
            wait_for(f"Elasticsearch {node.name}", lambda: self.joined(2), 240, node.process.log)

    def _launch(self, script: ModuleType, node: ESNode) -> None:
        conf, data, logs, tmp = (node.root / d for d in ("config", "data", "logs", "tmp"))
        for folder in (data, logs, tmp):
            folder.mkdir(parents=True, exist_ok=True)
        if not conf.exists():
            shutil.copytree(self.home / "config", conf)
        script.Elasticsearch.write_jvm_options(self.home, conf, self.java)
        prefix: list[str] = []
        if self.user:
            pw = pwd.getpwnam(self.user)
            script.chown_tree(node.root, pw.pw_uid, pw.pw_gid)
            os.chmod(node.root, 0o755)
            prefix = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", self.user, "--"]
        env = {
            "PATH": script.SYSTEM_PATH,
            "LANG": "C.UTF-8",
            "ES_JAVA_HOME": str(self.java),
            "ES_JAVA_OPTS": self.HEAP,
            "ES_PATH_CONF": str(conf),
            "ES_TMPDIR": str(tmp),
        }
        seeds = ",".join(f"{HOST}:{n.transport}" for n in self.nodes)
        settings = {
            "cluster.name": self.cluster,
            "node.name": node.name,
            "node.roles": "[master, data, ingest]" if node.name == "n1" else "[data, ingest]",
            "cluster.initial_master_nodes": "n1",
            "discovery.seed_hosts": seeds,
            "xpack.security.enabled": "false",
            "xpack.ml.enabled": "false",
            "network.host": HOST,
            "http.port": str(node.http),
            "transport.port": str(node.transport),
            "path.data": str(data),
            "path.logs": str(logs),
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        cmd = [*prefix, "env", *[f"{k}={v}" for k, v in env.items()],
               str(self.home / "bin" / "elasticsearch")]  # fmt: skip
        for key, value in settings.items():
            cmd += ["-E", f"{key}={value}"]
        node.root.mkdir(parents=True, exist_ok=True)
        node.process = _Process(cmd, env, node.root / "es.log", node.root)

    def health(self, via: str = "n1", **params: str) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        status, body = http_json(f"{self.node(via).url}/_cluster/health?{query}", timeout=35)
        return body if status == 200 and isinstance(body, dict) else {}

    def joined(self, count: int) -> bool:
        return int(self.health().get("number_of_nodes", 0)) >= count

    def start_node(self, name: str) -> None:
        """Start a stopped node again (its data folder kept)."""
        self._launch(services_script(), self.node(name))

    def stop_node(self, name: str) -> None:
        node = self.node(name)
        if node.process is not None:
            node.process.stop()

    def stop(self) -> None:
        for node in reversed(self.nodes):
            if node.process is not None:
                node.process.stop()
