"""The one exception hierarchy of finmon.

Every error a caller can act on derives from :class:`FinmonError` and carries a
machine-readable ``code`` and, where one input is to blame, the ``field`` it
concerns. The API maps the subclasses to HTTP statuses and the CLI to exit
codes, so callers never parse messages.

A validation failure that a user must fix may concern several fields at once;
:class:`ValidationError` then carries every :class:`Problem` as data, so a
report lists them all instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input.

    Attributes:
        field: dotted path of the offending input (``payload.amount``), or ``""``
            when the input as a whole is wrong.
        reason: what is wrong, in words a user can act on.
        code: a stable machine code (``missing``, ``invalid``, ``unknown_type`` ...).
    """

    field: str
    reason: str
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class FinmonError(Exception):
    """Root of every error finmon raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        """The error as data, for JSON output and API responses."""
        data: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            data["field"] = self.field
        return data


class ValidationError(FinmonError):
    """The input is malformed; nothing was written. Carries every problem found."""

    code = "validation_error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        if problems and field is None:
            field = problems[0].field
        super().__init__(message, field=field, code=code)
        self.problems: list[Problem] = list(problems or [])
        if not self.problems:
            self.problems = [Problem(field or "", message, self.code)]

    @classmethod
    def from_problems(cls, what: str, problems: list[Problem]) -> ValidationError:
        """One error for several problems; the message lists them all."""
        listed = "; ".join(str(p) for p in problems)
        return cls(f"{what}: {listed}", problems=problems)

    def to_dict(self) -> dict[str, object]:
        data = super().to_dict()
        data["problems"] = [
            {"field": p.field, "reason": p.reason, "code": p.code} for p in self.problems
        ]
        return data


class NotFoundError(FinmonError):
    """The thing asked for does not exist."""

    code = "not_found"


class ConflictError(FinmonError):
    """The request contradicts the current state (a duplicate, a stale version)."""

    code = "conflict"


class UnauthorizedError(FinmonError):
    """The caller has not proven who they are."""

    code = "unauthorized"


class ForbiddenError(FinmonError):
    """The caller is known but may not do this."""

    code = "forbidden"


class UnavailableError(FinmonError):
    """A backend needed for this is not reachable now; retrying later may work."""

    code = "unavailable"


class IntegrityError(FinmonError):
    """Stored data fails its own integrity checks (a broken hash chain, a bad signature)."""

    code = "integrity_error"


__all__ = [
    "ConflictError",
    "FinmonError",
    "ForbiddenError",
    "IntegrityError",
    "NotFoundError",
    "Problem",
    "UnauthorizedError",
    "UnavailableError",
    "ValidationError",
]
