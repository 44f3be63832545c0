"""Masking of personal data and card numbers: in API output by role, in every log line.

A card number (PAN) is any run of 13 to 19 digits, possibly split by spaces
or dashes, that passes the Luhn check; it is shown as its last four digits
(``************1111``) to everyone, in every field, because PCI DSS forbids
displaying more. Other personal fields of a transaction (the counterparty's
name and account, the device and IP address, the free-text description) are
shown only to roles with the ``pii:read`` permission and masked for the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

PII_FIELDS = frozenset(
    {
        "counterparty_name",
        "counterparty_account_id",
        "device_id",
        "ip_address",
        "description",
        "latitude",
        "longitude",
    }
)
_PAN_RE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SECRET_RE = re.compile(
    r"(?i)(password|passwd|secret|token|api[_-]?key|authorization|totp)"
    r"""(["']?\s*[:=]\s*["']?|\s+)([^\s"',}]+)"""
)
MASK = "****"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_pan(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if not _luhn_ok(digits):
        return match.group(0)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_pans(text: str) -> str:
    """``text`` with every Luhn-valid card number reduced to its last four digits."""
    return _PAN_RE.sub(_mask_pan, text)


def redact_secrets(text: str) -> str:
    """``text`` with values after ``password=``, ``token:`` ... replaced, and PANs masked."""
    return mask_pans(_SECRET_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text))


def mask_value(value: Any) -> Any:
    """A personal value as a role without ``pii:read`` sees it."""
    if isinstance(value, str):
        return MASK if len(value) <= 4 else f"{MASK}{value[-2:]}"
    return None


def mask_payload(payload: Mapping[str, Any], *, may_see_pii: bool) -> dict[str, Any]:
    """A transaction payload for output: PANs masked always, PII unless the role may see it."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if not may_see_pii and key in PII_FIELDS:
            out[key] = mask_value(value)
        elif isinstance(value, str):
            out[key] = mask_pans(value)
        else:
            out[key] = value
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that masks PANs and secret-looking values in every record.

    Installed on the API's handlers (and usable on any), it rewrites the
    formatted message, so a careless ``log.info("login %s", body)`` cannot leak
    a password or a card number.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_secrets(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


__all__ = [
    "MASK",
    "PII_FIELDS",
    "RedactingFilter",
    "mask_pans",
    "mask_payload",
    "mask_value",
    "redact_secrets",
]
