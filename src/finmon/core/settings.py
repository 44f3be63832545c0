"""Configuration: defaults, then ``finmon.toml``, then ``FINMON_*`` env vars, then code.

With no configuration at all finmon runs embedded: an SQLite event log and its
keys under ``./.finmon/``, no servers. Everything else is opt-in, so a fresh
checkout works and a deployment changes only what it needs.

Precedence (highest first): keyword arguments to :func:`load_settings`, then
environment variables (``FINMON_DATA_DIR`` ...), then the TOML file named by
``FINMON_CONFIG`` or else ``./finmon.toml`` if present (top-level keys named like
the fields), then the defaults. Env vars beat the file because deployments
override a checked-in file per environment.

Relative paths are relative to the current directory, not to the TOML file:
every command resolves them the same way however it found its configuration.

Connection URLs may embed passwords, so they never appear in ``repr`` and
:meth:`Settings.redacted` is the form to print. A bad value raises
:class:`finmon.core.errors.ValidationError` listing every offending field, so a
user fixes a configuration in one go rather than one error at a time.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import pydantic
from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from finmon.core.errors import Problem, ValidationError

CONFIG_ENV = "FINMON_CONFIG"
DEFAULT_CONFIG_FILE = Path("finmon.toml")

_SECRET_FIELDS = frozenset({"postgres_url", "redis_url", "nats_url"})
_REDACTED = "***"
_SECRET_PARAM_RE = re.compile(
    r"(?i)\b(password|passwd|pwd|pass|token|secret)=('(?:[^'\\]|\\.)*'|[^&\s]*)"
)


def redact_url(url: str, *, user_is_secret: bool = False) -> str:
    """``url`` with its password (and secret query or DSN parameters) replaced by ``***``.

    ``user_is_secret`` is for schemes such as NATS, where ``nats://TOKEN@host``
    carries the token in the user position.
    """
    text = _SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}={_REDACTED}", url)
    try:
        parts = urlsplit(text)
    except ValueError:
        return _REDACTED  # unparseable: safer to show nothing of it
    if "@" not in parts.netloc:
        return text
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, has_password, _ = userinfo.partition(":")
    if has_password:
        userinfo = f"{user}:{_REDACTED}"
    elif user_is_secret and user:
        userinfo = _REDACTED
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{hostport}"))


class Settings(BaseSettings):
    """Everything configurable in finmon; immutable once loaded.

    Construct through :func:`load_settings` (or ``Settings(...)``, which
    behaves the same): either raises :class:`ValidationError`, never pydantic's.
    """

    model_config = SettingsConfigDict(
        env_prefix="FINMON_",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    data_dir: Path = Field(
        default=Path(".finmon"),
        description="Root of all local state; every command honours FINMON_DATA_DIR.",
    )
    log_store: Literal["sqlite", "postgres"] = Field(
        default="sqlite", description="Event log backend."
    )
    postgres_url: str | None = Field(
        default=None, description="PostgreSQL URL; required when log_store is postgres."
    )
    redis_url: str | None = Field(default=None, description="Redis URL for shared state.")
    nats_url: str | None = Field(default=None, description="NATS URL for the event bus.")
    checkpoint_interval: int = Field(
        default=1024, gt=0, description="Sign a Merkle checkpoint every N log records."
    )
    signing_key_path: Path | None = Field(
        default=None,
        description="Ed25519 key for log checkpoints; default <data_dir>/keys/log-signing.key.",
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except pydantic.ValidationError as exc:
            raise _to_finmon_error(exc) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No .env or secrets-dir sources: one file and the environment are
        # enough, and fewer places to look means fewer surprises.
        return (init_settings, env_settings, _toml_source(settings_cls))

    @model_validator(mode="after")
    def _postgres_needs_url(self) -> Settings:
        if self.log_store == "postgres" and not self.postgres_url:
            raise PydanticCustomError(
                "missing",
                "log_store is postgres, so postgres_url is required",
                {"field": "postgres_url"},
            )
        return self

    @property
    def log_path(self) -> Path:
        """The embedded SQLite event log."""
        return self.data_dir / "events.db"

    @property
    def resolved_signing_key_path(self) -> Path:
        """The checkpoint signing key: the configured path, else under ``data_dir``."""
        if self.signing_key_path is not None:
            return self.signing_key_path
        return self.data_dir / "keys" / "log-signing.key"

    def redacted(self) -> dict[str, object]:
        """The settings as JSON-ready data with URL passwords replaced by ``***``.

        This, not ``model_dump()``, is what ``finmon info`` and logs may show.
        """
        data: dict[str, object] = self.model_dump(mode="json")
        for name in _SECRET_FIELDS:
            value = data.get(name)
            if isinstance(value, str):
                data[name] = redact_url(value, user_is_secret=name == "nats_url")
        data["log_path"] = str(self.log_path)
        data["resolved_signing_key_path"] = str(self.resolved_signing_key_path)
        return data

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        redacted = self.redacted()
        for name, value in super().__repr_args__():
            if name in _SECRET_FIELDS and value is not None:
                yield name, redacted[name]
            else:
                yield name, value


def _toml_source(settings_cls: type[BaseSettings]) -> TomlConfigSettingsSource:
    """The TOML source: ``$FINMON_CONFIG`` (which must exist) or ``./finmon.toml`` (optional)."""
    named = os.environ.get(CONFIG_ENV)
    path = Path(named) if named else DEFAULT_CONFIG_FILE
    if named and not path.is_file():
        raise ValidationError(
            f"{CONFIG_ENV} names {named!r}, which is not a readable file",
            field="config",
            code="missing",
        )
    try:
        return TomlConfigSettingsSource(settings_cls, toml_file=path)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(
            f"{path} is not valid TOML: {exc}", field="config", code="invalid"
        ) from None


def _to_finmon_error(exc: pydantic.ValidationError) -> ValidationError:
    """One finmon error listing every pydantic error, each as a Problem naming its field."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"])
        field = loc or str((error.get("ctx") or {}).get("field", ""))
        reason = error["msg"]
        if loc and loc.split(".")[0] not in _SECRET_FIELDS and "input" in error:
            reason = f"{reason} (got {error['input']!r:.80})"
        if field in Settings.model_fields:
            reason = f"{reason}; set by FINMON_{field.upper()} or {field!r} in the config file"
        problems.append(Problem(field, reason, error["type"]))
    return ValidationError.from_problems("invalid settings", problems)


def load_settings(**overrides: Any) -> Settings:
    """The effective settings; ``overrides`` (field names) beat env and file.

    Raises:
        ValidationError: a value is malformed; ``problems`` names every field.
    """
    return Settings(**overrides)


__all__ = ["Settings", "load_settings", "redact_url"]
