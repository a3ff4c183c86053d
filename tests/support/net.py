"""Loopback helpers for tests that start a real server (Chroma, Streamlit)."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http_ok(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; fail early if ``proc`` exits, or after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} before {url} answered: {output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@contextmanager
def running_server(command: list[str], port: int, health_path: str, **popen_kwargs) -> Iterator[str]:
    """Start ``command`` (listening on 127.0.0.1:``port``), wait until ``health_path``
    answers, yield the base URL, and stop the server however the test ends."""
    proc = subprocess.Popen(command, **popen_kwargs)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(url + health_path, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
