"""Public probes: liveness, readiness (backends reachable) and Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from finmon import __version__
from finmon.api.deps import Ctx
from finmon.api.schemas import Health, Ready
from finmon.core.errors import UnavailableError

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness: the process answers")
def health() -> Health:
    return Health(version=__version__)


def _check_log(ctx: Any) -> str:
    try:
        return f"ok (head {ctx.log.head().seq})"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        raise UnavailableError(
            f"event log unreachable: {type(exc).__name__}", field="log"
        ) from None


def _check_redis(ctx: Any) -> str:
    try:
        ctx.redis.ping()
    except Exception as exc:  # noqa: BLE001
        raise UnavailableError(f"redis unreachable: {type(exc).__name__}", field="redis") from None
    return "ok"


@router.get(
    "/ready",
    response_model=Ready,
    summary="Readiness: the log store (and Redis) reachable",
    responses={503: {"description": "a backend is unreachable"}},
)
def ready(ctx: Ctx) -> Ready:
    checks = {"log": _check_log(ctx)}
    if ctx.redis is not None:
        checks["redis"] = _check_redis(ctx)
    return Ready(checks=checks)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(ctx: Ctx) -> Response:
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)


__all__ = ["router"]
