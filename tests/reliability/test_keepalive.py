"""The served site spreads long-lived connections over its workers by closing them now and then."""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kb.gunicorn_worker import KEEPALIVE_REQUESTS, keepalive_requests
from tests.reliability.server import gunicorn, init_site, server_env


def _connection_headers(base: str, connections: int, requests: int) -> list[str]:
    """Send requests over fresh keep-alive connections; the Connection header of each answer."""
    address = urlsplit(base)
    headers = []
    for _ in range(connections):
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        for _ in range(requests):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            headers.append((response.getheader("Connection") or "").lower())
        connection.close()
    return headers


@pytest.mark.server
def test_a_connection_is_closed_after_its_quota_of_requests(tmp_path: Path) -> None:
    env = server_env(tmp_path, KB_KEEPALIVE_REQUESTS="3")
    init_site(env)
    with gunicorn(env, workers=1) as base:
        headers = _connection_headers(base, connections=2, requests=3)
    # HTTP/1.1 keeps the connection by default; the third answer of each one closes it.
    assert [h == "close" for h in headers] == [False, False, True] * 2


@pytest.mark.server
def test_the_quota_defaults_to_a_hundred_requests(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    env.pop("KB_KEEPALIVE_REQUESTS", None)
    init_site(env)
    with gunicorn(env, workers=1) as base:
        headers = _connection_headers(base, connections=1, requests=KEEPALIVE_REQUESTS)
    assert headers.index("close") == KEEPALIVE_REQUESTS - 1 and headers.count("close") == 1


@pytest.mark.parametrize(("value", "expected"), [("7", 7), ("0", 1), ("-5", 1), ("many", 100), ("", 100)])
def test_the_quota_setting_is_read_safely(monkeypatch: pytest.MonkeyPatch, value: str, expected: int) -> None:
    monkeypatch.setenv("KB_KEEPALIVE_REQUESTS", value)
    assert keepalive_requests() == expected
