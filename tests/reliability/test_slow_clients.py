"""Clients that send half a request cannot stall the served site."""

from __future__ import annotations

import socket
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kb.gunicorn_worker import REQUEST_IDLE_SECONDS
from kb.request_buffer import request_is_complete
from tests.reliability.server import gunicorn, init_site, server_env

HALF_REQUESTS = [
    b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
    b"GET /help/ HTTP/1.1\r\nHo",
    b"POST /api/v1/returns/lookup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    b"Content-Length: 400\r\n\r\n{\"order_number\": ",
    b"POST /api/v1/returns/lookup HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":",
    b"G",
]


@pytest.mark.server
def test_healthz_answers_while_clients_send_half_requests(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    init_site(env)
    with gunicorn(env, workers=2) as base:
        address = urlsplit(base)
        sockets = []
        try:
            for _ in range(3):
                for half in HALF_REQUESTS:
                    sock = socket.create_connection((address.hostname, address.port), timeout=5)
                    sock.sendall(half)
                    sockets.append(sock)
            time.sleep(0.5)  # every worker has met the half requests by now
            # Every worker holds half requests: a worker blocked on one would answer only once the
            # server drops them as idle, so the test waits for less than that.
            for _ in range(5):
                with urllib.request.urlopen(f"{base}/healthz", timeout=REQUEST_IDLE_SECONDS / 2) as response:
                    assert response.status == 200
        finally:
            for sock in sockets:
                sock.close()


@pytest.mark.server
def test_a_request_sent_in_pieces_is_still_served(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    init_site(env)
    with gunicorn(env, workers=1) as base:
        address = urlsplit(base)
        with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
            for piece in (b"GET /hea", b"lthz HTTP/1.1\r\nHost: 127.0", b".0.1\r\nConnection: close\r\n\r\n"):
                sock.sendall(piece)
                time.sleep(0.3)
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize(("data", "complete"), [
    (b"GET / HTTP/1.1\r\nHost: a\r\n", False),
    (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", False),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", True),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", False),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 500\r\nExpect: 100-continue\r\n\r\n", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", True),
])
def test_a_request_is_complete_only_with_its_whole_body(data: bytes, complete: bool) -> None:
    assert request_is_complete(data) is complete


def test_the_access_log_records_no_query_string_nor_referrer(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    # The settings file turns on each worker's outbox sender through the environment: keep that
    # to this test, or every later app of the run would start a sender thread.
    monkeypatch.setenv("KB_OUTBOX_BACKGROUND", "0")
    conf = importlib.import_module("kb.gunicorn_conf")
    assert "%(U)s" in conf.access_log_format
    for field in ("%(r)s", "%(q)s", "%(f)s", "%(U)s%(q)s"):
        assert field not in conf.access_log_format
