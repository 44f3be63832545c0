"""Benchmark: POST /v1/transactions latency at a steady rate, max sustained rate, batch throughput.

Run as ``.venv/bin/python bench/bench_api.py``; writes ``bench/results/api.json``.
A real uvicorn (``python -m finmon.commands.serve``) on 127.0.0.1 with an
embedded SQLite log, a service API key, rate limits lifted. Load generators
on the same machine (so they compete with the server for the cores):

- steady: an open-loop generator (asyncio, raw HTTP/1.1) sends at a fixed rate and
  measures each latency from the instant the request was *due*, so a stalled
  server cannot hide queueing (no coordinated omission);
- max sustained: ``wrk`` (closed loop, N connections) when installed
  (``apt-get install -y wrk``), else the same closed loop in httpx;
- batch: batches of 1,000 transactions back to back, transactions per second.

Targets (issue 7): p99 < 25 ms at 1,000 req/s; >= 20,000 tx/s through batch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from finmon.api.context import build_context
from finmon.api.rbac import Role
from finmon.core.settings import Settings

RESULTS = Path(__file__).parent / "results"
_WRK_SCRIPT = """
counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "%s"
request = function()
  counter = counter + 1
  local body = string.format('{"transaction_id":"wrk-%%d-%%d","occurred_at":"2026-03-02T08:59:00Z",'
    .. '"account_id":"acct-%%d","direction":"debit","amount":"12.34","currency":"EUR",'
    .. '"channel":"card_present"}', math.random(1, 1000000000), counter, counter %% 977)
  return wrk.format(nil, "/v1/transactions", nil, body)
end
"""


def tx(prefix: str, n: int) -> dict[str, Any]:
    return {
        "transaction_id": f"{prefix}-{n}",
        "occurred_at": "2026-03-02T08:59:00Z",
        "account_id": f"acct-{n % 977}",
        "direction": "debit",
        "amount": f"{n % 5000 + 1}.{n % 100:02d}",
        "currency": "EUR",
        "channel": "card_present",
        "merchant_category": "5411",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FINMON_DATA_DIR": str(data_dir),
        "FINMON_API_RATE_LIMIT_RPS": "1000000000",
        "FINMON_API_RATE_LIMIT_BURST": "1000000000",
    }
    cmd = [
        sys.executable,
        "-m",
        "finmon.commands.serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(  # noqa: S603 - our own command line
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the server did not start")


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {"p50_ms": at(0.50), "p90_ms": at(0.90), "p99_ms": at(0.99), "max_ms": at(1.0)}


def _request_bytes(port: int, key: str, prefix: str, n: int) -> bytes:
    body = json.dumps(tx(prefix, n), separators=(",", ":")).encode()
    head = (
        f"POST /v1/transactions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"X-API-Key: {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _exchange(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], data: bytes) -> int:
    reader, writer = conn
    writer.write(data)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def steady(port: int, key: str, rate: float, seconds: float) -> dict[str, Any]:
    """Open loop over raw keep-alive connections (httpx costs more CPU than the server).

    Request i is due at start + i / rate and its latency counts from then, so
    time spent waiting for a free connection (queueing) is included.
    """
    latencies: list[float] = []
    errors = 0
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    opened = 0
    total = int(rate * seconds)
    prefix = f"steady{rate:g}-{time.time_ns()}"
    payloads = [_request_bytes(port, key, prefix, n) for n in range(total)]

    async def one(n: int, due: float) -> None:
        nonlocal errors, opened
        if idle.empty() and opened < 128:
            opened += 1
            idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
        conn = await idle.get()
        if await _exchange(conn, payloads[n]) != 202:
            errors += 1
        latencies.append(time.perf_counter() - due)
        idle.put_nowait(conn)

    start = time.perf_counter() + 0.05
    tasks = []
    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not idle.empty():
        idle.get_nowait()[1].close()
    return {
        "target_rps": rate,
        "requests": total,
        "achieved_rps": round(total / elapsed, 1),
        "errors": errors,
        "connections": opened,
        **_percentiles(latencies),
    }


def max_rate_wrk(port: int, key: str, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % key)
    try:
        out = subprocess.run(  # noqa: S603 - our own command line
            [
                shutil.which("wrk") or "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
    finally:
        os.unlink(script.name)
    result: dict[str, Any] = {"tool": "wrk", "connections": connections, "seconds": seconds}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec"):
            result["requests_per_s"] = float(parts[1])
        elif parts[:1] in (["50%"], ["99%"]):
            result[f"p{parts[0][:-1]}"] = parts[1]
        elif "Non-2xx" in line:
            result["non_2xx"] = int(parts[-1])
    return result


async def max_rate_httpx(url: str, key: str, seconds: float, concurrency: int) -> dict[str, Any]:
    done = 0
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=10) as client:

        async def worker(w: int) -> None:
            nonlocal done
            n = 0
            while time.perf_counter() < stop:
                began = time.perf_counter()
                await client.post("/v1/transactions", json=tx(f"max{w}", n))
                latencies.append(time.perf_counter() - began)
                n += 1
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {
        "tool": "httpx",
        "connections": concurrency,
        "requests_per_s": round(done / elapsed, 1),
        **_percentiles(latencies),
    }


async def batch(url: str, key: str, size: int, seconds: float, concurrency: int) -> dict[str, Any]:
    sent = 0
    stop = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=60) as client:

        async def worker(w: int) -> None:
            nonlocal sent
            b = 0
            while time.perf_counter() < stop:
                body = {"transactions": [tx(f"b{w}-{b}", n) for n in range(size)]}
                response = await client.post("/v1/transactions/batch", json=body)
                assert response.status_code == 202, response.text
                sent += size
                b += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {
        "batch_size": size,
        "concurrency": concurrency,
        "transactions_per_s": round(sent / elapsed, 1),
        "seconds": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="250,500,1000", help="steady rates, req/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="finmon-bench-api-") as tmp:
        data = Path(tmp)
        ctx = build_context(Settings(data_dir=data))
        _, key = ctx.auth.keys.create("bench", Role.service, frozenset(), "bench")
        ctx.close()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(data, port, args.workers)
        try:
            asyncio.run(steady(port, key, 200, 2))  # warm up
            result: dict[str, Any] = {
                "steady": [
                    asyncio.run(steady(port, key, float(rate), args.seconds))
                    for rate in args.rates.split(",")
                ],
                "max_sustained": (
                    max_rate_wrk(port, key, int(args.seconds), args.connections)
                    if shutil.which("wrk")
                    else asyncio.run(max_rate_httpx(url, key, args.seconds, args.connections))
                ),
                "batch": asyncio.run(batch(url, key, 1000, args.seconds, 2)),
            }
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "server_workers": args.workers,
    }
    result["targets"] = {"p99_ms_at_1000_rps": 25, "batch_tx_per_s": 20_000}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
