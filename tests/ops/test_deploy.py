"""The deployment example in deploy/: systemd units that start real commands, an nginx site nginx accepts."""

from __future__ import annotations

import configparser
import importlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kb.config import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
UNITS = ("kb-web.service", "kb-worker.service")
INSTALLED_AT = "/srv/kb"  # where the units expect the checkout


def _missing(tool: str) -> None:
    """Fail in CI, which installs the tool (.ci/run); skip elsewhere with the reason."""
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is missing: .ci/run installs it with apt-get")
    pytest.skip(f"{tool} is not installed (apt-get install {tool})")


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  (systemd keys are case-sensitive)
    parser.read(DEPLOY / name)
    return parser


def _exec_start(name: str) -> list[str]:
    return shlex.split(_unit(name)["Service"]["ExecStart"])


def test_the_worker_unit_runs_the_kb_outbox_run_command() -> None:
    command = _exec_start("kb-worker.service")
    assert command[0] == f"{INSTALLED_AT}/.venv/bin/kb"
    assert command[1:] == ["outbox", "run"]
    result = subprocess.run([str(BIN / "kb"), *command[1:], "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SIGTERM" in result.stdout


def test_the_web_unit_runs_gunicorn_with_the_projects_settings_and_app() -> None:
    command = _exec_start("kb-web.service")
    assert command[0] == f"{INSTALLED_AT}/.venv/bin/gunicorn"
    assert (BIN / "gunicorn").exists()
    config = command[command.index("--config") + 1]
    assert config.startswith("python:")
    importlib.import_module(config.removeprefix("python:"))
    module, _, call = command[-1].partition(":")
    assert callable(getattr(importlib.import_module(module), call.removesuffix("()")))


def test_both_units_read_the_same_environment_file_whose_settings_exist() -> None:
    files = {_unit(name)["Service"]["EnvironmentFile"] for name in UNITS}
    assert files == {"/etc/kb/kb.env"}
    names = [line.split("=", 1)[0] for line in (DEPLOY / "kb.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    assert names and all(name.startswith("KB_") for name in names)
    unknown = [name for name in names if name.removeprefix("KB_") not in DEFAULTS]
    assert not unknown
    for name in UNITS:
        assert _unit(name)["Service"]["KillSignal"] == "SIGTERM"


def test_systemd_accepts_both_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were checked as INI files above")
    for name in UNITS:
        # The units name /srv/kb; systemd checks that the programs exist, so point them here.
        text = (DEPLOY / name).read_text()
        text = text.replace(f"{INSTALLED_AT}/.venv/bin", str(BIN)).replace(INSTALLED_AT, str(ROOT))
        (tmp_path / name).write_text(text)
    result = subprocess.run([analyze, "verify", *(str(tmp_path / name) for name in UNITS)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unknown" not in result.stderr, result.stderr


def test_nginx_accepts_the_site_with_a_certificate(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    openssl = shutil.which("openssl")
    if nginx is None:
        _missing("nginx")
    if openssl is None:
        _missing("openssl")
    assert nginx is not None and openssl is not None
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=help.example.com", "-keyout", str(tmp_path / "privkey.pem"),
                    "-out", str(tmp_path / "fullchain.pem")], check=True, capture_output=True, timeout=120)
    site = (DEPLOY / "nginx-kb.conf").read_text().replace("/etc/ssl/kb", str(tmp_path))
    (tmp_path / "kb.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n"
        f"  proxy_temp_path {tmp_path}/proxy;\n  include {tmp_path}/kb.conf;\n}}\n"
    )
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                             "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_nginx_site_buffers_terminates_tls_and_forwards_what_proxy_fix_reads() -> None:
    site = (DEPLOY / "nginx-kb.conf").read_text()
    for directive in ("proxy_buffering on;", "proxy_request_buffering on;", "client_body_buffer_size",
                      "listen 443 ssl", "ssl_certificate ", "ssl_certificate_key ",
                      "X-Forwarded-For $proxy_add_x_forwarded_for;", "X-Forwarded-Proto $scheme;",
                      "X-Forwarded-Host $host;", 'X-Forwarded-Prefix "";'):
        assert directive in site, directive
    assert "KB_PROXY_FIX=1" in (DEPLOY / "kb.env.example").read_text()
