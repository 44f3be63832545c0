"""Bad input: each the right 4xx with the field named, never a 5xx, nothing written."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.testing import api_key, transaction

INJECTIONS = (
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "{{7*7}}${7*7}",
    "../../etc/passwd",
    "\u0000nul",
    "%s%s%n",
    "x" * 5000,
)
STRING_FIELDS = [
    "transaction_id",
    "account_id",
    "customer_id",
    "merchant_id",
    "counterparty_account_id",
    "counterparty_name",
    "counterparty_bank",
    "device_id",
    "ip_address",
    "description",
    "amount",
    "currency",
    "direction",
    "channel",
    "merchant_category",
    "merchant_country",
    "counterparty_country",
    "occurred_at",
]


@pytest.fixture
def headers(ctx: ApiContext) -> dict[str, str]:
    return {"X-API-Key": api_key(ctx)}


def _post(client: TestClient, body: object, headers: dict[str, str]) -> tuple[int, dict]:
    response = client.post("/v1/transactions", json=body, headers=headers)
    return response.status_code, response.json()


def test_malformed_json_is_400(
    client: TestClient, headers: dict[str, str], ctx: ApiContext
) -> None:
    for raw in (b"{", b"not json", b'{"a": }', b"\xff\xfe"):
        response = client.post(
            "/v1/transactions",
            content=raw,
            headers={**headers, "Content-Type": "application/json"},
        )
        assert response.status_code in {400, 422}, raw
        assert response.json()["field"] == "body"
    assert ctx.log.head().seq == 0


def test_wrong_types_and_unknown_fields_name_the_field(
    client: TestClient, headers: dict[str, str], ctx: ApiContext
) -> None:
    cases = {
        "amount": 12.5,
        "occurred_at": "yesterday",
        "direction": "sideways",
        "latitude": "north",
        "currency": "euro",
        "transaction_id": ["a"],
    }
    for field, value in cases.items():
        status, body = _post(client, transaction(**{field: value}), headers)
        assert status == 422, field
        assert body["field"] == field
        assert field in {e["field"] for e in body["errors"]}
    status, body = _post(client, transaction(is_fraud=True), headers)
    assert (status, body["field"]) == (422, "is_fraud")
    status, body = _post(client, [transaction()], headers)
    assert status == 422
    naive = transaction(occurred_at="2026-03-02T08:59:00")
    assert _post(client, naive, headers)[0] == 422
    assert ctx.log.head().seq == 0


def test_every_problem_is_listed(client: TestClient, headers: dict[str, str]) -> None:
    body = transaction()
    del body["account_id"]
    body["amount"] = "-1"
    status, problem = _post(client, body, headers)
    assert status == 422
    assert {"account_id", "amount"} <= {e["field"] for e in problem["errors"]}
    assert problem["type"].startswith("https://")
    assert problem["status"] == 422


def test_injection_strings_in_every_string_field(
    client: TestClient, headers: dict[str, str], ctx: ApiContext
) -> None:
    for n, field in enumerate(STRING_FIELDS):
        for m, attack in enumerate(INJECTIONS):
            body = transaction(n * 100 + m, **{field: attack})
            head = ctx.log.head().seq
            status, answer = _post(client, body, headers)
            assert status in {201, 422}, (field, attack[:20], status)
            if status == 422:
                assert ctx.log.head().seq == head
                assert answer["errors"]
            else:  # accepted as data, stored verbatim, never interpreted
                stored = next(iter(ctx.log.read(answer["seq"], answer["seq"]))).envelope()
                assert stored.payload[field] == attack
    assert ctx.auth.users.all() == []  # nothing dropped, nothing created


def test_huge_bodies_are_413(client: TestClient, headers: dict[str, str], ctx: ApiContext) -> None:
    big = transaction(description="x" * (ctx.api.max_body_bytes + 10))
    status, body = _post(client, big, headers)
    assert status == 413
    assert body["code"] == "body_too_large"

    def chunks():  # no Content-Length: the limit applies while reading
        for _ in range(ctx.api.max_body_bytes // 65536 + 2):
            yield b" " * 65536

    response = client.post(
        "/v1/transactions",
        content=chunks(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert ctx.log.head().seq == 0


def test_bad_idempotency_key_and_path_params(client: TestClient, headers: dict[str, str]) -> None:
    long_key = {**headers, "Idempotency-Key": "k" * 500}
    assert client.post("/v1/transactions", json=transaction(), headers=long_key).status_code == 422
    response = client.get("/v1/transactions/" + "x" * 300, headers=headers)
    assert response.status_code in {403, 422}


def test_wrong_content_type_is_4xx(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(
        "/v1/transactions",
        content=b"transaction_id=1",
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= response.status_code < 500


def test_a_card_number_is_not_echoed_in_an_error(
    client: TestClient, headers: dict[str, str]
) -> None:
    status, body = _post(client, transaction(amount="4111111111111111.001"), headers)
    assert status == 422
    assert "4111111111111111" not in str(body)
    assert "************1111" in body["detail"]
