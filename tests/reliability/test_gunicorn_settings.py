"""kb's gunicorn settings: a cheaper access log that prints what gunicorn would, no control socket."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger, SafeAtoms

from kb.gunicorn_log import ACCESS_FORMAT, AccessLogger
from tests.reliability.server import gunicorn, init_site, server_env

ENVIRON = {
    "REMOTE_ADDR": "203.0.113.9", "REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/returns/R-ABC123",
    "QUERY_STRING": "token=secret", "RAW_URI": "/api/v1/returns/R-ABC123?token=secret",
    "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_USER_AGENT": "Mozilla/5.0", "HTTP_REFERER": "https://x/?token=secret",
}


def _line(logger_class: type[Logger], log_format: str, *, sent: int | None = 512) -> str:
    cfg = Config()
    cfg.set("access_log_format", log_format)
    logger = logger_class(cfg)
    logger.now = lambda: "[05/Dec/2026:13:00:00 +0000]"  # type: ignore[method-assign]
    resp = SimpleNamespace(status="200 OK", sent=sent, headers=[("Content-Type", "application/json")])
    req = SimpleNamespace(headers=[("USER-AGENT", "Mozilla/5.0")])
    atoms = logger.atoms(resp, req, dict(ENVIRON), dt.timedelta(microseconds=1500))
    return log_format % SafeAtoms(atoms)


@pytest.mark.parametrize("sent", [512, None])
def test_kb_format_prints_the_same_line_as_gunicorn(sent: int | None) -> None:
    line = _line(AccessLogger, ACCESS_FORMAT, sent=sent)
    assert line == _line(Logger, ACCESS_FORMAT, sent=sent)
    assert "token" not in line and "GET /api/v1/returns/R-ABC123 HTTP/1.1" in line


def test_another_format_still_gets_every_field() -> None:
    wide = '%(r)s %(L)s %({content-type}o)s %({user-agent}i)s %({query_string}e)s'
    line = _line(AccessLogger, wide)
    assert line == _line(Logger, wide)
    assert "application/json" in line and "token=secret" in line


@pytest.mark.server
def test_the_served_site_opens_no_control_socket(tmp_path: Path) -> None:
    # gunicorn's control socket would sit at one path per user, shared by every site on the host.
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    env = server_env(tmp_path, HOME=str(tmp_path), XDG_RUNTIME_DIR=str(runtime))
    init_site(env)
    with gunicorn(env, workers=1):
        opened = [*runtime.rglob("*.ctl"), *(tmp_path / ".gunicorn").rglob("*")]
    assert opened == []
