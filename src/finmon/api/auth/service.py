"""The login flow and request authentication, with every outcome audited.

A failed login says only "invalid credentials": not whether the user exists,
the password was wrong, the TOTP code was wrong or the account is locked, so
an attacker learns nothing from the answer. The audit trail records the real
reason for the people who investigate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp

from finmon.api.auth.apikeys import PREFIX, ApiKeyStore
from finmon.api.auth.passwords import verify_password
from finmon.api.auth.tokens import TokenPair, TokenService
from finmon.api.auth.users import User, UserStore
from finmon.api.rbac import Principal, Role
from finmon.api.settings import ApiSettings
from finmon.audit import AuditTrail
from finmon.core.clock import Clock
from finmon.core.errors import NotFoundError, UnauthorizedError

_INVALID = "invalid credentials"


@dataclass(frozen=True, slots=True)
class Caller:
    """Where a request came from, for the audit trail."""

    client_ip: str = ""
    correlation_id: str = ""


class AuthService:
    def __init__(
        self,
        users: UserStore,
        keys: ApiKeyStore,
        tokens: TokenService,
        audit: AuditTrail,
        clock: Clock,
        settings: ApiSettings,
    ) -> None:
        self.users = users
        self.keys = keys
        self.tokens = tokens
        self.audit = audit
        self._clock = clock
        self._settings = settings

    def _audit(self, action: str, caller: Caller, **kwargs: str) -> None:
        self.audit.record(
            action,
            client_ip=caller.client_ip,
            correlation_id=caller.correlation_id,
            **kwargs,  # type: ignore[arg-type]
        )

    def login(self, username: str, password: str, totp: str, caller: Caller) -> TokenPair:
        """Tokens for a user who gives the right password and a fresh TOTP code."""
        user = self.users.by_username(username)
        reason = self._check(user, password, totp)
        if reason is not None:
            self._fail(username, user, reason, caller)
        assert user is not None  # noqa: S101 - _check returned no reason
        self.users.clear_failures(username)
        pair = self.tokens.issue(user.id, user.role.value)
        self._audit(
            "login",
            caller,
            actor=user.id,
            actor_name=username,
            outcome="success",
            target=pair.family,
        )
        return pair

    def _check(self, user: User | None, password: str, totp: str) -> str | None:
        """Why the login fails (for the audit trail), or None when it succeeds."""
        stored = self.users.password_hash(user.id) if user else None
        password_ok = verify_password(stored, password)  # always hashes: no timing oracle
        if user is None:
            return "unknown user"
        if self.users.is_locked(user):
            return "account locked"
        if user.disabled:
            return "account disabled"
        if not password_ok:
            return "wrong password"
        return self._check_totp(user, totp)

    def _check_totp(self, user: User, code: str) -> str | None:
        totp = pyotp.TOTP(self.users.totp_secret(user.id))
        now = self._clock.now()
        for offset in (0, -30, 30):
            instant = now + timedelta(seconds=offset)
            if totp.verify(code, for_time=instant, valid_window=0):
                step = totp.timecode(instant)
                return None if self.users.claim_totp_step(user.id, step) else "TOTP code replayed"
        return "wrong TOTP code"

    def _fail(self, username: str, user: User | None, reason: str, caller: Caller) -> None:
        s = self._settings
        locked = self.users.record_failure(
            username,
            timedelta(seconds=s.lockout_window_s),
            s.lockout_threshold,
            timedelta(seconds=s.lockout_duration_s),
        )
        if locked and user is not None and reason != "account locked":
            reason = f"{reason}; account now locked"
        self._audit(
            "login",
            caller,
            actor=user.id if user else username,
            actor_name=username,
            outcome="failure",
            reason=reason,
        )
        raise UnauthorizedError(_INVALID, field="credentials", code="invalid_credentials")

    def refresh(self, refresh_token: str, caller: Caller) -> TokenPair:
        def role_of(user_id: str) -> str | None:
            user = self.users.get(user_id)
            return None if user.disabled else user.role.value

        try:
            pair, user_id = self.tokens.refresh(refresh_token, role_of)
        except UnauthorizedError as exc:
            self._audit(
                "token_refresh", caller, actor="unknown", outcome="failure", reason=exc.message
            )
            raise
        self._audit("token_refresh", caller, actor=user_id, outcome="success", target=pair.family)
        return pair

    def logout(self, principal: Principal, family: str, expires: int, caller: Caller) -> None:
        """Revoke the access token now and its refresh family."""
        self.tokens.revoke_access(principal.token_id, datetime.fromtimestamp(expires, UTC))
        self.tokens.revoke_family(family)
        self._audit(
            "logout",
            caller,
            actor=principal.subject,
            actor_name=principal.name,
            outcome="success",
            target=family,
        )

    def authenticate(self, credential: str) -> tuple[Principal, dict[str, object]]:
        """The principal behind a bearer token or API key, and the token's claims."""
        if credential.startswith(PREFIX):
            key = self.keys.verify(credential)
            if key is None:
                raise UnauthorizedError("invalid API key", field="authorization")
            principal = Principal(key.id, key.name, "api_key", key.role, key.scopes, key.id)
            return principal, {}
        claims = self.tokens.decode(credential, "access")
        try:
            user = self.users.get(str(claims["sub"]))
        except NotFoundError:
            raise UnauthorizedError("unknown user", field="authorization") from None
        if user.disabled:
            raise UnauthorizedError("account disabled", field="authorization")
        principal = Principal(
            user.id, user.username, "user", Role(user.role), frozenset(), str(claims["jti"])
        )
        return principal, claims


__all__ = ["AuthService", "Caller"]
