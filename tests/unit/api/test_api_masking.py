"""Card numbers and personal data: masked in output by role and in every log line."""

from __future__ import annotations

import logging

import pytest

from finmon.api.masking import RedactingFilter, mask_pans, mask_payload, redact_secrets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111111111111111", "************1111"),
        ("pan 4111 1111 1111 1111 ok", "pan ************1111 ok"),
        ("5500-0000-0000-0004", "************0004"),
        ("order 1234567890123456", "order 1234567890123456"),  # fails Luhn: not a card
        ("iban DE89370400440532013000", "iban DE89370400440532013000"),
    ],
)
def test_mask_pans(text: str, expected: str) -> None:
    assert mask_pans(text) == expected


def test_redact_secrets() -> None:
    line = 'login password=hunter2hunter2 token: abc.def.ghi {"api_key": "fmk_1"}'
    cleaned = redact_secrets(line)
    for secret in ("hunter2hunter2", "abc.def.ghi", "fmk_1"):
        assert secret not in cleaned


def test_mask_payload_by_role() -> None:
    payload = {
        "counterparty_name": "Erika Mustermann",
        "amount": "1.00",
        "latitude": 52.5,
        "description": "paid with 4111111111111111",
    }
    hidden = mask_payload(payload, may_see_pii=False)
    assert hidden == {
        "counterparty_name": "****nn",
        "amount": "1.00",
        "latitude": None,
        "description": "****11",
    }
    shown = mask_payload(payload, may_see_pii=True)
    assert shown["counterparty_name"] == "Erika Mustermann"
    assert shown["description"] == "paid with ************1111"


def test_redacting_filter_rewrites_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("finmon.api.test_masking")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("card %s password=%s", "4111111111111111", "s3cr3t-pass")
    assert "4111111111111111" not in caplog.text
    assert "s3cr3t-pass" not in caplog.text
    assert "************1111" in caplog.text


def test_json_log_lines_carry_the_correlation_id() -> None:
    import json

    from finmon.api.logs import JsonFormatter, correlation_id

    record = logging.LogRecord("finmon.api", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    token = correlation_id.set("req-1")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        correlation_id.reset(token)
    assert line["message"] == "hello x"
    assert line["correlation_id"] == "req-1"
    assert line["level"] == "info"
