"""Authentication: users with argon2id passwords and TOTP, JWT sessions, API keys, lockout."""

from finmon.api.auth.apikeys import ApiKey, ApiKeyStore
from finmon.api.auth.service import AuthService
from finmon.api.auth.tokens import TokenPair, TokenService
from finmon.api.auth.users import User, UserStore

__all__ = ["ApiKey", "ApiKeyStore", "AuthService", "TokenPair", "TokenService", "User", "UserStore"]
