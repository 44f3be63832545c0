"""The REST API: FastAPI app, authentication (JWT + TOTP, API keys), RBAC, encryption.

Public API: :func:`create_app` (the ASGI app), :func:`build_context`,
:class:`ApiSettings`, :func:`require` (the permission dependency),
:data:`PERMISSIONS` and :class:`Role`. docs/api.md is the reference.
"""

from finmon.api.app import PUBLIC_PATHS, create_app
from finmon.api.context import ApiContext, build_context
from finmon.api.deps import require
from finmon.api.rbac import PERMISSIONS, Principal, Role
from finmon.api.settings import ApiSettings

__all__ = [
    "PERMISSIONS",
    "PUBLIC_PATHS",
    "ApiContext",
    "ApiSettings",
    "Principal",
    "Role",
    "build_context",
    "create_app",
    "require",
]
