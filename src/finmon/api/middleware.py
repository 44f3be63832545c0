"""Pure ASGI middleware: correlation ids, body limits, security headers, metrics, access log.

Written against ASGI directly rather than Starlette's ``BaseHTTPMiddleware``,
which copies every response through a task: these run on every request of
the hot ingest path.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException

from finmon.api.logs import correlation_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_API_CSP = b"default-src 'none'; frame-ancestors 'none'"
_DOCS_CSP = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"img-src 'self' data: https://fastapi.tiangolo.com; frame-ancestors 'none'"
)
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
access_log = logging.getLogger("finmon.api.access")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


class Metrics:
    """The API's Prometheus metrics, in their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "finmon_api_requests",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "finmon_api_request_seconds",
            "Request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )


class ApiMiddleware:
    """Everything every request gets, in one pass.

    - ``X-Request-ID``: taken from the request when well-formed, else made up;
      stored as ``state.correlation_id``, echoed on the response, in the log.
    - body limit: a declared ``Content-Length`` over the limit is refused
      before reading, a chunked body as soon as it passes it (413).
    - security headers on every response; a strict CSP except on /docs.
    - Prometheus counters by route template, and one JSON access-log line.
    """

    def __init__(self, app: ASGIApp, *, metrics: Metrics, limit: Callable[[str], int]) -> None:
        self.app = app
        self.metrics = metrics
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        given = (_header(scope, b"x-request-id") or b"").decode("latin-1")
        cid = given if _CID_RE.match(given) else secrets.token_hex(8)
        scope.setdefault("state", {})["correlation_id"] = cid
        token = correlation_id.set(cid)
        path = scope["path"]
        limit = self.limit(path)
        status = [500]
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, cid, limit)
            self._observe(scope, 413, start, cid)
            correlation_id.reset(token)
            return
        receive = _limited(receive, limit)
        csp = _DOCS_CSP if path.startswith("/docs") else _API_CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                headers += _SECURITY_HEADERS
                headers += [(b"content-security-policy", csp), (b"x-request-id", cid.encode())]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._observe(scope, status[0], start, cid)
            correlation_id.reset(token)

    def _observe(self, scope: Scope, status: int, start: float, cid: str) -> None:
        elapsed = time.perf_counter() - start
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope.get("method", "")
        self.metrics.requests.labels(method, route, str(status)).inc()
        self.metrics.latency.labels(method, route).observe(elapsed)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                orjson.dumps(
                    {
                        "event": "request",
                        "method": method,
                        "route": route,
                        "status": status,
                        "ms": round(elapsed * 1000, 3),
                        "correlation_id": cid,
                    }
                ).decode()
            )


class BodyTooLarge(HTTPException):
    """Raised while reading a body past the limit; FastAPI re-raises HTTPExceptions as is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")


def _limited(receive: Receive, limit: int) -> Receive:
    seen = [0]

    async def wrapped() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            seen[0] += len(message.get("body", b""))
            if seen[0] > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped


async def _too_large(send: Send, cid: str, limit: int) -> None:
    body = orjson.dumps(
        {
            "type": "https://finmon.dev/problems/body_too_large",
            "title": "Content Too Large",
            "status": 413,
            "detail": f"the request body exceeds {limit} bytes",
            "code": "body_too_large",
            "field": "body",
            "correlation_id": cid,
            "instance": "",
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"x-request-id", cid.encode()),
                *_SECURITY_HEADERS,
                (b"content-security-policy", _API_CSP),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["ApiMiddleware", "BodyTooLarge", "Metrics", "access_log"]
