"""Settings of the REST API: ``FINMON_API_*`` environment variables, then code.

They live apart from :class:`finmon.core.settings.Settings` because only the
API process needs them; the core settings (data dir, log store, Redis URL) are
passed alongside. Secrets (the JWT signing key, the key-encryption key) are
never values here, only paths to files kept outside the repository with 0600
permissions, or, for the key-encryption key, an environment variable a secret
manager injects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from finmon.core.errors import Problem, ValidationError
from finmon.core.settings import Settings


class ApiSettings(BaseSettings):
    """Everything the API process adds to the core settings; immutable once loaded."""

    model_config = SettingsConfigDict(env_prefix="FINMON_API_", extra="forbid", frozen=True)

    jwt_key_path: Path | None = Field(
        default=None, description="HS256 signing key; default <data_dir>/keys/api-jwt.key."
    )
    kek_path: Path | None = Field(
        default=None, description="Key-encryption key file; default <data_dir>/keys/api-kek.key."
    )
    kek: SecretStr | None = Field(
        default=None, description="Key-encryption key, base64 (32 bytes); beats kek_path."
    )
    access_token_ttl_s: int = Field(default=300, gt=0, le=3600)
    refresh_token_ttl_s: int = Field(default=8 * 3600, gt=0)
    lockout_threshold: int = Field(default=5, gt=0, description="Failures before a lockout.")
    lockout_window_s: int = Field(default=900, gt=0, description="Window counting failures.")
    lockout_duration_s: int = Field(default=900, gt=0, description="How long a lockout lasts.")
    max_body_bytes: int = Field(default=1 << 20, gt=0, description="Request body limit.")
    max_batch_body_bytes: int = Field(default=32 << 20, gt=0, description="Batch body limit.")
    max_list_body_bytes: int = Field(
        default=64 << 20, gt=0, description="Sanctions list upload limit (the EU XML is ~25 MB)."
    )
    max_screening_batch: int = Field(default=1000, gt=0, le=10_000, description="Names per batch.")
    max_batch: int = Field(default=10_000, gt=0, description="Transactions per batch request.")
    rate_limit_rps: float = Field(default=200.0, gt=0, description="Refill per client and route.")
    rate_limit_burst: int = Field(default=400, gt=0, description="Bucket size per client/route.")
    login_rate_limit_rps: float = Field(default=1.0, gt=0, description="Login refill per IP.")
    login_rate_limit_burst: int = Field(default=20, gt=0)
    idempotency_ttl_s: int = Field(default=24 * 3600, gt=0)
    cors_origins: list[str] = Field(default_factory=list, description="Allowed origins; none.")
    issuer: str = Field(default="finmon", min_length=1)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except pydantic.ValidationError as exc:
            problems = [
                Problem(".".join(str(p) for p in e["loc"]), e["msg"], e["type"])
                for e in exc.errors(include_url=False)
            ]
            raise ValidationError.from_problems("invalid API settings", problems) from None

    def jwt_key_file(self, core: Settings) -> Path:
        return self.jwt_key_path or core.data_dir / "keys" / "api-jwt.key"

    def kek_file(self, core: Settings) -> Path:
        return self.kek_path or core.data_dir / "keys" / "api-kek.key"


def auth_db_path(core: Settings) -> Path:
    """Users, API keys, refresh tokens and webhooks: ``<data_dir>/auth.db``."""
    return core.data_dir / "auth.db"


__all__ = ["ApiSettings", "auth_db_path"]
