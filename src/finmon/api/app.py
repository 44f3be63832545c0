"""The FastAPI application factory.

``create_app(settings)`` opens what the API needs (the event log, auth.db,
keys, Redis when configured) and mounts one router per resource under /v1.
Public: /health, /ready, /metrics, /openapi.json and /docs; every other route
requires credentials through :func:`finmon.api.deps.require`. CORS is off
unless origins are configured.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from finmon import __version__
from finmon.api.context import ApiContext, build_context
from finmon.api.masking import RedactingFilter
from finmon.api.middleware import ApiMiddleware
from finmon.api.problems import install_problem_handlers
from finmon.api.routers import (
    aml,
    api_keys,
    audit,
    auth,
    decisions,
    events,
    graph,
    health,
    kyc,
    ledger,
    metric_entries,
    models,
    rules,
    screening,
    transactions,
    users,
    webhooks,
)
from finmon.api.settings import ApiSettings
from finmon.core.clock import Clock
from finmon.core.settings import Settings, load_settings

PUBLIC_PATHS = frozenset(
    {"/health", "/ready", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect"}
)
BATCH_PATH = "/v1/transactions/batch"
LISTS_PATH = "/v1/screening/lists"


def install_log_redaction() -> None:
    """Mask secrets and card numbers in every record of the API's and uvicorn's loggers."""
    for name in (
        "finmon",
        "finmon.api",
        "finmon.api.access",
        "uvicorn",
        "uvicorn.access",
        "uvicorn.error",
        "fastapi",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


V1_ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        auth,
        transactions,
        events,
        audit,
        metric_entries,
        webhooks,
        api_keys,
        users,
        ledger,
        decisions,
        rules,
        models,
        screening,
        kyc,
        graph,
        aml,
    )
)
"""Every /v1 router; each carries its full prefix, so routes know their full paths."""


def create_app(
    settings: Settings | None = None,
    api_settings: ApiSettings | None = None,
    *,
    clock: Clock | None = None,
    context: ApiContext | None = None,
) -> FastAPI:
    """The ASGI app; pass ``context`` to share one (tests), else one is built from settings."""
    ctx = context or build_context(settings or load_settings(), api_settings, clock=clock)
    install_log_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if context is None:
            ctx.close()

    app = FastAPI(
        title="finmon API",
        version=__version__,
        description=(
            "Real-time financial monitoring: ingest and decide, decisions, rules, models,"
            " events, audit, administration, the core-banking ledger, and AML: sanctions"
            " screening, KYC onboarding and risk rating, and the transaction graph."
        ),
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_problem_handlers(app)
    app.include_router(health.router)
    for router in V1_ROUTERS:
        app.include_router(router)
    limits = ctx.api

    def limit(path: str) -> int:
        if path == BATCH_PATH:
            return limits.max_batch_body_bytes
        return limits.max_list_body_bytes if path == LISTS_PATH else limits.max_body_bytes

    if limits.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=limits.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Idempotency-Key"],
        )
    app.add_middleware(ApiMiddleware, metrics=ctx.metrics, limit=limit)
    return app


__all__ = ["PUBLIC_PATHS", "V1_ROUTERS", "create_app", "install_log_redaction"]
