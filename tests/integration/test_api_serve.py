"""`finmon serve` for real: uvicorn, a self-signed certificate, TLS 1.3 only, JSON logs."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _handshake(port: int, context: ssl.SSLContext) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            answer = tls.recv(4096).decode()
            assert answer.startswith("HTTP/1.1 200"), answer
            return str(tls.version())


def _wait_for_cert(path: Path, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while not path.exists():
        assert server.poll() is None, "the server exited"
        assert time.monotonic() < deadline, "no certificate after 20 s"
        time.sleep(0.1)


def test_dev_cert_serves_tls13_only(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "FINMON_DATA_DIR": str(tmp_path)}
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as log_handle:
        server = subprocess.Popen(
            [sys.executable, "-m", "finmon.commands.serve", "--port", str(port), "--dev-cert"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_handle,
        )
    try:
        cert = tmp_path / "tls" / "dev-cert.pem"
        _wait_for_cert(cert, server)
        assert oct((tmp_path / "tls" / "dev-key.pem").stat().st_mode & 0o777) == "0o600"
        client = ssl.create_default_context(cafile=str(cert))
        deadline = time.monotonic() + 20
        while True:
            try:
                assert _handshake(port, client) == "TLSv1.3"
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        old = ssl.create_default_context(cafile=str(cert))
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):
            _handshake(port, old)
    finally:
        server.terminate()
        server.wait(timeout=10)
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "finmon.api.access"]
    assert access, "no access log line"
    assert all("correlation_id" in line for line in access)
    assert json.loads(access[-1]["message"])["route"] == "/health"
