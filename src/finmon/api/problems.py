"""Errors as RFC 9457 problem details (``application/problem+json``), naming the field.

Every error the API returns has the same shape: ``type``, ``title``,
``status``, ``detail``, ``instance``, plus ``code`` (stable, for programs),
``field`` (the first offending input) and ``errors`` (every problem, each with
its field), and the request's ``correlation_id``. Finmon's error hierarchy maps
to statuses here and nowhere else; an unexpected exception becomes a bare 500
whose detail reveals nothing (the log has the traceback, under the same
correlation id).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from finmon.api.masking import mask_pans
from finmon.core.errors import (
    ConflictError,
    FinmonError,
    ForbiddenError,
    IntegrityError,
    NotFoundError,
    UnauthorizedError,
    UnavailableError,
    ValidationError,
)

PROBLEM_JSON = "application/problem+json"
_TYPE_BASE = "https://finmon.dev/problems/"
_log = logging.getLogger("finmon.api")
CREDENTIAL_PATHS = frozenset({"/v1/auth/login", "/v1/auth/refresh"})
"""Routes whose body *is* the credential: a malformed one is a 401, like a missing header."""
_STATUS: tuple[tuple[type[FinmonError], int], ...] = (
    (ValidationError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (UnavailableError, 503),
    (IntegrityError, 500),
)
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def status_of(exc: FinmonError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def problem(
    status: int,
    detail: str,
    *,
    code: str,
    instance: str = "",
    field: str | None = None,
    errors: list[dict[str, str]] | None = None,
    correlation_id: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    """One problem+json response."""
    body: dict[str, Any] = {
        "type": f"{_TYPE_BASE}{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": mask_pans(detail),
        "instance": instance,
        "code": code,
        "correlation_id": correlation_id,
    }
    if field is not None:
        body["field"] = field
    if errors:
        body["errors"] = [{**e, "reason": mask_pans(e["reason"])} for e in errors]
    extra = {"WWW-Authenticate": 'Bearer realm="finmon"'} if status == 401 else {}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=extra | (headers or {}),
    )


def _cid(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", ""))


def _finmon(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FinmonError)  # noqa: S101 - registered for FinmonError only
    status = int(getattr(exc, "http_status", 0)) or status_of(exc)
    if status >= 500 and not isinstance(exc, UnavailableError):
        _log.error("integrity failure [%s]: %s", _cid(request), exc.message)
        return problem(
            500,
            "internal error",
            code="internal",
            instance=request.url.path,
            correlation_id=_cid(request),
        )
    errors = None
    if isinstance(exc, ValidationError):
        errors = [{"field": p.field, "reason": p.reason, "code": p.code} for p in exc.problems]
    headers = {"Retry-After": "5"} if status == 503 else None
    if hasattr(exc, "retry_after"):
        headers = {"Retry-After": str(exc.retry_after)}
    return problem(
        status,
        exc.message,
        code=exc.code,
        instance=request.url.path,
        field=exc.field,
        errors=errors,
        correlation_id=_cid(request),
        headers=headers,
    )


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts)


def validation_errors(errors: Any) -> list[dict[str, str]]:
    return [
        {
            "field": _field_of(tuple(e.get("loc", ()))),
            "reason": str(e.get("msg", "invalid")),
            "code": str(e.get("type", "invalid")),
        }
        for e in errors
    ]


def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = validation_errors(exc.errors())
    if request.url.path in CREDENTIAL_PATHS:
        return problem(
            401,
            "credentials required",
            code="unauthorized",
            instance=request.url.path,
            field="credentials",
            errors=errors,
            correlation_id=_cid(request),
        )
    if any(e["code"] == "json_invalid" for e in errors):
        errors = [{**e, "field": "body"} for e in errors]
        return problem(
            400,
            "the body is not valid JSON",
            code="malformed_json",
            instance=request.url.path,
            field="body",
            errors=errors,
            correlation_id=_cid(request),
        )
    field = errors[0]["field"] if errors else None
    listed = "; ".join(f"{e['field']}: {e['reason']}" for e in errors[:10])
    return problem(
        422,
        f"invalid request: {listed}",
        code="validation_error",
        instance=request.url.path,
        field=field,
        errors=errors,
        correlation_id=_cid(request),
    )


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101
    code = {404: "not_found", 405: "method_not_allowed", 413: "body_too_large"}.get(
        exc.status_code, "http_error"
    )
    headers = dict(exc.headers or {})
    return problem(
        exc.status_code,
        str(exc.detail),
        code=code,
        instance=request.url.path,
        correlation_id=_cid(request),
        headers=headers,
    )


def _unexpected(request: Request, exc: Exception) -> Response:
    _log.error("unhandled %s [%s]", type(exc).__name__, _cid(request), exc_info=exc)
    return problem(
        500,
        "internal error",
        code="internal",
        instance=request.url.path,
        correlation_id=_cid(request),
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FinmonError, _finmon)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


__all__ = [
    "CREDENTIAL_PATHS",
    "PROBLEM_JSON",
    "install_problem_handlers",
    "problem",
    "status_of",
    "validation_errors",
]
