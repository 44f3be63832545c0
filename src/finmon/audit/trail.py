"""Append and query ``audit.*`` events on the finmon event log."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import orjson
import pydantic

from finmon.core.clock import Clock
from finmon.core.errors import ValidationError
from finmon.events.log import Log
from finmon.events.schemas import EventRegistry

AUDIT_PREFIX = "audit."
ACTIONS = (
    "login",
    "logout",
    "token_refresh",
    "access_denied",
    "user_created",
    "user_updated",
    "api_key_created",
    "api_key_rotated",
    "api_key_revoked",
    "webhook_registered",
    "webhook_rotated",
    "webhook_deleted",
)
_SECRET_KEY = re.compile(r"(?i)password|secret|token|totp|api_?key|credential")

Outcome = Literal["success", "failure", "denied"]


class AuditEntry(pydantic.BaseModel):
    """One audited action: who, what, on what, with which outcome, from where."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    actor: str = pydantic.Field(description="user or API key id; the username if unknown")
    actor_name: str = pydantic.Field(default="", description="username or key name")
    action: str
    outcome: Outcome
    target: str = ""
    reason: str = ""
    client_ip: str = ""
    correlation_id: str = ""
    details: dict[str, str] = pydantic.Field(default_factory=dict)


def register_audit_events(registry: EventRegistry) -> EventRegistry:
    """Make every ``audit.*`` event type known to ``registry``."""
    for action in ACTIONS:
        registry.register(f"{AUDIT_PREFIX}{action}", AuditEntry, description=f"audit: {action}")
    return registry


class AuditTrail:
    """Writes audit entries to the log and reads them back, newest last."""

    def __init__(self, log: Log, clock: Clock) -> None:
        self._log = log
        self._registry = register_audit_events(EventRegistry(clock=clock))

    def record(
        self,
        action: str,
        *,
        actor: str,
        outcome: Outcome,
        actor_name: str = "",
        target: str = "",
        reason: str = "",
        client_ip: str = "",
        correlation_id: str = "",
        details: Mapping[str, str] | None = None,
    ) -> int:
        """Append one entry; returns its sequence number. Refuses secret-looking details."""
        for key in details or {}:
            if _SECRET_KEY.search(key):
                raise ValidationError(f"audit details may not hold {key!r}", field="details")
        entry = AuditEntry(
            actor=actor,
            actor_name=actor_name,
            action=action,
            outcome=outcome,
            target=target,
            reason=reason,
            client_ip=client_ip,
            correlation_id=correlation_id,
            details=dict(details or {}),
        )
        envelope = self._registry.create(
            f"{AUDIT_PREFIX}{action}",
            entry,
            partition_key=actor or "anonymous",
            correlation_id=correlation_id or None,
        )
        return self._log.append(envelope)

    def entries(
        self, *, after_seq: int = 0, limit: int = 100, actor: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Audit events after ``after_seq`` in log order, as ``{seq, ...envelope}`` dicts."""
        found = 0
        for record in self._log.read(after_seq + 1):
            if found >= limit:
                return
            if b'"type":"audit.' not in record.body:
                continue
            event: dict[str, Any] = orjson.loads(record.body)
            if actor is not None and event["payload"].get("actor") != actor:
                continue
            found += 1
            yield {"seq": record.seq, **event}


__all__ = ["ACTIONS", "AUDIT_PREFIX", "AuditEntry", "AuditTrail", "register_audit_events"]
