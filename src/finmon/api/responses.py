"""The error responses every /v1 route documents (all problem+json)."""

from __future__ import annotations

from typing import Any

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, **_PROBLEM}
    for status, text in (
        (400, "malformed request (e.g. not JSON)"),
        (401, "missing, invalid, expired or revoked credentials"),
        (403, "the role lacks the permission"),
        (404, "not found"),
        (409, "conflict (e.g. an Idempotency-Key reused with another body)"),
        (413, "request body too large"),
        (422, "invalid input; `errors` names every field"),
        (429, "rate limited; see Retry-After"),
    )
}

__all__ = ["COMMON_RESPONSES"]
