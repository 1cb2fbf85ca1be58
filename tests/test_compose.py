"""docker-compose.yml (for operators) agrees with scripts/services (for developers and CI).

No Docker engine runs here, so the compose file is checked by parsing it: the settings
Kho gets, and that every endpoint uses the port the service script uses by default.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = ROOT / "scripts" / "services"


def run_services(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SERVICES), *args], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def defaults() -> dict[str, str]:
    res = run_services("defaults")
    assert res.returncode == 0, res.stderr
    pairs = [line.split("=", 1) for line in res.stdout.splitlines() if line.strip()]
    return {k: v for k, v in pairs}


@pytest.fixture(scope="module")
def kho_env(compose: dict) -> dict[str, str]:
    env = compose["services"]["kho"]["environment"]
    assert isinstance(env, dict), "use the mapping form of environment in the kho service"
    return {k: str(v) for k, v in env.items()}


def host_port(compose: dict, service: str) -> set[int]:
    """The container ports a service publishes (`host:port:container` or `port:container`)."""
    ports = set()
    for spec in compose["services"][service].get("ports", []):
        ports.add(int(str(spec).rsplit(":", 1)[-1]))
    return ports


def test_kho_uses_the_three_real_engines(kho_env):
    assert kho_env["KHO_STORAGE"] == "minio"
    assert kho_env["KHO_SEARCH"] == "elasticsearch"
    assert kho_env["KHO_EXTRACTOR"] == "tika"


def test_kho_gets_every_setting_the_service_script_writes(kho_env, defaults):
    settings = {k for k in defaults if k.startswith("KHO_") and not k.endswith("_PORT")}
    settings -= {"KHO_SERVICES_DIR"}
    settings |= {"KHO_MINIO_ACCESS_KEY", "KHO_MINIO_SECRET_KEY"}
    missing = settings - set(kho_env)
    assert not missing, f"kho service lacks {sorted(missing)}"
    for key in ("KHO_STORAGE", "KHO_SEARCH", "KHO_EXTRACTOR", "KHO_MINIO_BUCKET",
                "KHO_MINIO_SECURE", "KHO_ES_INDEX"):
        assert kho_env[key] == defaults[key], key


def test_endpoints_use_the_scripts_default_ports(compose, kho_env, defaults):
    minio_host, minio_port = kho_env["KHO_MINIO_ENDPOINT"].rsplit(":", 1)
    es = urlsplit(kho_env["KHO_ES_URL"])
    tika = urlsplit(kho_env["KHO_TIKA_URL"])
    assert int(minio_port) == int(defaults["KHO_MINIO_PORT"]) == 9000
    assert es.port == int(defaults["KHO_ES_PORT"]) == 9200
    assert tika.port == int(defaults["KHO_TIKA_PORT"]) == 9998
    # the hosts are the compose services, which publish those same ports
    assert minio_host == "minio" and es.hostname == "elasticsearch" and tika.hostname == "tika"
    assert int(defaults["KHO_MINIO_PORT"]) in host_port(compose, "minio")
    assert int(defaults["KHO_MINIO_CONSOLE_PORT"]) in host_port(compose, "minio")
    assert int(defaults["KHO_ES_PORT"]) in host_port(compose, "elasticsearch")
    assert int(defaults["KHO_TIKA_PORT"]) in host_port(compose, "tika")
    minio_cmd = " ".join(compose["services"]["minio"]["command"])
    assert f"--address :{defaults['KHO_MINIO_PORT']}" in minio_cmd
    assert f"--console-address :{defaults['KHO_MINIO_CONSOLE_PORT']}" in minio_cmd


def test_engines_are_pinned_to_the_scripts_versions(compose, defaults):
    images = {name: svc.get("image", "") for name, svc in compose["services"].items()}
    assert images["elasticsearch"].endswith(":" + defaults["ES_VERSION"])
    assert images["tika"].startswith(f"apache/tika:{defaults['TIKA_VERSION']}.")
    assert images["tika"].endswith("-full"), "the -full image carries Tesseract (vie)"
    minio_tag = images["minio"].rsplit(":", 1)[-1]
    assert minio_tag.startswith("RELEASE.") or "@sha256:" in images["minio"]
    for name in ("elasticsearch", "minio", "tika"):
        assert not images[name].endswith(":latest"), name


def test_kho_waits_for_healthy_engines(compose):
    services = compose["services"]
    depends = services["kho"]["depends_on"]
    for name in ("elasticsearch", "minio", "tika"):
        assert depends[name]["condition"] == "service_healthy", name
        assert services[name]["healthcheck"]["test"], name
    assert "_cluster/health" in " ".join(services["elasticsearch"]["healthcheck"]["test"])
    assert "/version" in " ".join(services["tika"]["healthcheck"]["test"])
    assert services["kho"]["healthcheck"]["test"]
    assert services["kho"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()


def test_minio_credentials_come_from_one_place(compose, kho_env):
    minio_env = compose["services"]["minio"]["environment"]
    assert minio_env["MINIO_ROOT_USER"] == kho_env["KHO_MINIO_ACCESS_KEY"]
    assert minio_env["MINIO_ROOT_PASSWORD"] == kho_env["KHO_MINIO_SECRET_KEY"]
    assert "${" in kho_env["KHO_MINIO_SECRET_KEY"], "no secret written into the compose file"


def test_data_lives_in_named_volumes(compose):
    volumes = set(compose.get("volumes") or {})
    for name in ("elasticsearch", "minio", "kho"):
        mounts = compose["services"][name]["volumes"]
        named = {str(m).split(":", 1)[0] for m in mounts}
        assert named & volumes, f"{name} keeps its data in a named volume"


def test_services_script_cli(tmp_path):
    assert os.access(SERVICES, os.X_OK), "scripts/services is executable"
    assert run_services("--help").returncode == 0
    assert run_services("bogus").returncode == 64
    assert run_services("status", "nosuch").returncode == 64
    env = dict(os.environ, KHO_SERVICES_DIR=str(tmp_path / "never-started"))
    res = run_services("env", env=env)
    assert res.returncode == 1 and res.stdout == ""
