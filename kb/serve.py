"""``kb serve``: the site on one machine, gunicorn and the background worker side by side.

What ``make run`` starts. Both are child processes of this one: Ctrl-C or SIGTERM stops both,
and when either ends on its own the other is stopped too, so nothing is left running unseen.
"""

from __future__ import annotations

import signal
import subprocess  # nosec B404  (starts our own two commands, no shell)
import sys
import threading

import click

# How long each child gets to finish what it is doing before it is killed.
STOP_TIMEOUT = 30.0


def commands(host: str, port: int, workers: int) -> list[list[str]]:
    """The two processes: gunicorn with the project's settings, and ``kb outbox run``."""
    web = [sys.executable, "-m", "gunicorn", "--config", "python:kb.gunicorn_conf", "--bind", f"{host}:{port}",
           "--workers", str(workers), "kb:create_app()"]
    worker = [sys.executable, "-m", "kb", "outbox", "run"]
    return [web, worker]


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address gunicorn listens on.")
@click.option("--port", default=5000, show_default=True, help="Port gunicorn listens on.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the site with gunicorn and run ``kb outbox run`` beside it until Ctrl-C."""
    stopping = threading.Event()

    def ask_to_stop(signum: int, frame: object) -> None:
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, ask_to_stop)
    # Fixed argument lists (this interpreter, gunicorn, kb), no shell: nothing from outside runs.
    children = [subprocess.Popen(command) for command in commands(host, port, workers)]  # nosec B603
    ended = None
    try:
        while not stopping.is_set():
            ended = next((child for child in children if child.poll() is not None), None)
            if ended is not None:
                break
            stopping.wait(0.5)
    finally:
        _stop(children)
    if ended is not None:
        raise SystemExit(ended.returncode or 1)
