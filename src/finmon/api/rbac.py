"""Roles and permissions: the one table that says who may do what.

Every protected route declares exactly one permission through
``Depends(require("transactions:write"))`` (see :mod:`finmon.api.deps`); this
module maps roles to permissions. Least privilege: ``auditor`` reads and
verifies but writes nothing; ``service`` (machine clients, API keys only) may
only ingest and move money through the ledger (the core-banking system posts
its transfers with a key); no role but ``auditor`` reads the audit trail, so
administrators cannot quietly read back the record of their own actions. In
the ledger every human role reads (balances, statements, reports,
reconciliation, verify), ``admin`` and ``service`` move money (transfers,
holds, reversals), and only ``admin`` changes the chart (opens, freezes,
unfreezes, closes accounts).
In monitoring every human role reads decisions, the rule set in force and
the model registry; changing what decides (deploying or rolling back rules,
promoting, rolling back or shadowing models) is for ``admin`` and the
``risk_officer`` who owns the detection policy, never for the analysts whose
alerts the change would move, nor for machine keys.
In AML every human role screens names, and so does ``service``: a payment
system screens the counterparty inline before it releases a payment. Which
lists are screened against (uploading a sanctions list) is for the
``compliance_officer`` who owns the sanctions programme and ``admin``.
Onboarding decisions (``kyc:write``) belong to compliance; rating a customer
(``kyc:read``) is also open to the senior analysts and risk officers who
investigate, and to the auditor who checks the ratings. Every human reader may
explore the transaction graph (``graph:read``); identifiers that are personal
data (counterparty accounts, devices, IPs, addresses, phones, e-mails) are
masked in it without ``pii:read``. The AML typology findings (``aml:read``) are
read by every human reader: analysts work them, compliance and risk decide on
them, the auditor checks them; machine keys do not read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    senior_analyst = "senior_analyst"
    compliance_officer = "compliance_officer"
    risk_officer = "risk_officer"
    auditor = "auditor"
    service = "service"


HUMAN_ROLES = frozenset(Role) - {Role.service}
"""Roles held by people: they log in with password and TOTP; ``service`` uses API keys."""

_READERS = {
    Role.admin,
    Role.analyst,
    Role.senior_analyst,
    Role.compliance_officer,
    Role.risk_officer,
    Role.auditor,
}
_METRIC_WRITERS = {
    Role.admin,
    Role.analyst,
    Role.senior_analyst,
    Role.compliance_officer,
    Role.risk_officer,
}

PERMISSIONS: dict[str, frozenset[Role]] = {
    "transactions:write": frozenset({Role.admin, Role.service}),
    "transactions:read": frozenset(_READERS),
    "pii:read": frozenset({Role.admin, Role.senior_analyst, Role.compliance_officer}),
    "events:read": frozenset({Role.admin, Role.auditor}),
    "events:verify": frozenset({Role.admin, Role.auditor}),
    "audit:read": frozenset({Role.auditor}),
    "metrics:write": frozenset(_METRIC_WRITERS | {Role.service}),
    "metrics:read": frozenset(_READERS),
    "webhooks:manage": frozenset({Role.admin}),
    "api_keys:manage": frozenset({Role.admin}),
    "users:manage": frozenset({Role.admin}),
    "ledger:read": frozenset(_READERS),
    "ledger:write": frozenset({Role.admin, Role.service}),
    "ledger:admin": frozenset({Role.admin}),
    "decisions:read": frozenset(_READERS),
    "rules:read": frozenset(_READERS),
    "rules:write": frozenset({Role.admin, Role.risk_officer}),
    "models:read": frozenset(_READERS),
    "models:write": frozenset({Role.admin, Role.risk_officer}),
    "screening:read": frozenset(_READERS | {Role.service}),
    "lists:write": frozenset({Role.admin, Role.compliance_officer}),
    "kyc:read": frozenset(
        {Role.admin, Role.compliance_officer, Role.senior_analyst, Role.risk_officer, Role.auditor}
    ),
    "kyc:write": frozenset({Role.admin, Role.compliance_officer}),
    "graph:read": frozenset(_READERS),
    "aml:read": frozenset(_READERS),
    "session": frozenset(Role),
}
"""Permission -> roles holding it. ``session`` is any authenticated principal."""


def roles_with(permission: str) -> frozenset[Role]:
    """The roles that hold ``permission``; KeyError for a permission nobody defined."""
    return PERMISSIONS[permission]


def permissions_of(role: Role) -> frozenset[str]:
    return frozenset(p for p, roles in PERMISSIONS.items() if role in roles)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as proven by a token or an API key.

    Attributes:
        subject: the user id or API key id.
        name: the username or key name (for the audit trail).
        kind: ``user`` (JWT) or ``api_key``.
        role: the role.
        scopes: for API keys, the permissions granted (a subset of the role's);
            empty means all of the role's.
        token_id: the access token's ``jti`` (users) or the key id (API keys).
    """

    subject: str
    name: str
    kind: str
    role: Role
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str = ""

    def may(self, permission: str) -> bool:
        """True when the role holds ``permission`` and any key scope allows it."""
        if self.role not in PERMISSIONS.get(permission, frozenset()):
            return False
        return not self.scopes or permission in self.scopes or permission == "session"


__all__ = ["HUMAN_ROLES", "PERMISSIONS", "Principal", "Role", "permissions_of", "roles_with"]
