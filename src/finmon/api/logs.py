"""Structured logs for the API process: one JSON object per line, redacted, correlated.

``finmon serve`` hands :data:`LOG_CONFIG` to uvicorn, so every logger of the
process (finmon's, uvicorn's, the libraries') writes through one handler
that carries the :class:`~finmon.api.masking.RedactingFilter` (a filter on the
handler sees every record, whichever logger made it) and formats JSON with
the correlation id of the request being served, taken from a context
variable the middleware sets.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

correlation_id: ContextVar[str] = ContextVar("finmon_correlation_id", default="")


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "correlation_id"[, "exc"]}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = correlation_id.get()
        if cid:
            data["correlation_id"] = cid
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(data).decode()


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "finmon.api.masking.RedactingFilter"}},
    "formatters": {"json": {"()": "finmon.api.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["redact"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"handlers": ["stderr"], "level": "INFO"},
    "loggers": {
        "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
        "uvicorn.error": {"handlers": [], "level": "INFO", "propagate": True},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}
"""A ``logging.config.dictConfig`` document: JSON lines on stderr, redacted."""


__all__ = ["LOG_CONFIG", "JsonFormatter", "correlation_id"]
