"""/v1/graph: the graph of the transactions the app received, built lazily and kept current."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import api_key, transaction

# A1 -> GB-X9 <- A2 (two accounts paying one outside account); A3 pays A1; A5 pays only a shop.
PAYMENTS = [
    ("A1", {"counterparty_account_id": "GB-X9"}),
    ("A2", {"counterparty_account_id": "GB-X9"}),
    ("A3", {"counterparty_account_id": "A1"}),
    ("A5", {"merchant_id": "m-shop"}),
]


def _key(ctx: ApiContext, role: Role, scopes: frozenset[str] = frozenset()) -> dict[str, str]:
    return {"X-API-Key": api_key(ctx, role, scopes)}


def _pay(client: TestClient, service: dict[str, str], n: int, account: str, **other: Any) -> None:
    fields = {"merchant_id": None, "customer_id": f"cust-{account}", **other}
    body = transaction(n, account_id=account, **fields)
    response = client.post("/v1/transactions", json=body, headers=service)
    assert response.status_code in {200, 201}, response.text


@pytest.fixture
def service(ctx: ApiContext) -> dict[str, str]:
    return _key(ctx, Role.service)


@pytest.fixture
def paid(client: TestClient, service: dict[str, str]) -> None:
    for n, (account, other) in enumerate(PAYMENTS, 1):
        _pay(client, service, n, account, **other)


@pytest.fixture
def analyst(ctx: ApiContext) -> dict[str, str]:
    return _key(ctx, Role.analyst)


@pytest.fixture
def admin(ctx: ApiContext) -> dict[str, str]:
    return _key(ctx, Role.admin)


def _around(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get("/v1/graph/neighbourhood", params=params, headers=headers)


@pytest.mark.usefixtures("paid")
def test_the_neighbourhood_has_nodes_edges_and_their_transactions(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = _around(client, admin, key="account:A1", hops=2)
    assert response.status_code == 200, response.text
    body = response.json()
    distance = {n["key"]: n["distance"] for n in body["nodes"]}
    assert distance["account:A1"] == 0
    assert distance["counterparty:GB-X9"] == 1
    assert distance["account:A3"] == 1
    assert distance["customer:cust-A1"] == 1
    assert distance["account:A2"] == 2
    assert "account:A5" not in distance
    pays = {(e["source"], e["target"]): e for e in body["edges"] if e["relation"] == "pays"}
    assert pays["account:A1", "counterparty:GB-X9"]["transaction_ids"] == ["tx-00000001"]
    assert pays["account:A3", "account:A1"]["transaction_ids"] == ["tx-00000003"]
    assert pays["account:A1", "counterparty:GB-X9"]["total_minor"] == 1101
    assert body["truncated"] is False
    assert body["graph"]["transactions"] == 4
    one_hop = _around(client, admin, key="account:A1", hops=1, max_nodes=2).json()
    assert one_hop["truncated"] is True
    assert len(one_hop["nodes"]) == 2


@pytest.mark.usefixtures("paid")
def test_new_transactions_are_added_incrementally(
    client: TestClient, ctx: ApiContext, admin: dict[str, str], service: dict[str, str]
) -> None:
    assert _around(client, admin, key="account:A1").status_code == 200
    first = ctx.graph.query(lambda g: g)
    _pay(client, service, 9, "A5", counterparty_account_id="A1")
    body = _around(client, admin, key="account:A1", hops=1).json()
    assert "account:A5" in {n["key"] for n in body["nodes"]}
    assert body["graph"]["transactions"] == 5
    assert ctx.graph.query(lambda g: g) is first  # the same graph, grown
    _pay(client, service, 9, "A5", counterparty_account_id="A1")  # a retry adds nothing
    assert _around(client, admin, key="account:A1").json()["graph"]["transactions"] == 5


@pytest.mark.usefixtures("paid")
def test_a_path_lists_the_edges_between_two_nodes(
    client: TestClient, admin: dict[str, str]
) -> None:
    params = {"source": "account:A3", "target": "account:A2"}
    response = client.get("/v1/graph/path", params=params, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["found"] is True
    assert [n["key"] for n in body["nodes"]] == [
        "account:A3",
        "account:A1",
        "counterparty:GB-X9",
        "account:A2",
    ]
    assert body["length"] == 3
    assert [e["transaction_ids"] for e in body["edges"]] == [
        ["tx-00000003"],
        ["tx-00000001"],
        ["tx-00000002"],
    ]
    directed = client.get(
        "/v1/graph/path", params=params | {"directed": True, "relation": "pays"}, headers=admin
    ).json()
    assert directed["found"] is False  # money cannot flow from A3 to A2
    apart = client.get(
        "/v1/graph/path", params={"source": "account:A1", "target": "account:A5"}, headers=admin
    ).json()
    assert apart == apart | {"found": False, "length": None, "nodes": [], "edges": []}


@pytest.mark.usefixtures("paid")
def test_unknown_and_malformed_keys_name_the_parameter(
    client: TestClient, analyst: dict[str, str]
) -> None:
    cases = [
        ("/v1/graph/neighbourhood", {"key": "account:NOPE"}, 404, "key"),
        ("/v1/graph/neighbourhood", {"key": "planet:Mars"}, 422, "key"),
        ("/v1/graph/neighbourhood", {}, 422, "key"),
        ("/v1/graph/neighbourhood", {"key": "account:A1", "hops": 7}, 422, "hops"),
        ("/v1/graph/path", {"source": "account:A1", "target": "account:NOPE"}, 404, "target"),
        ("/v1/graph/path", {"source": "nokind", "target": "account:A1"}, 422, "source"),
    ]
    for path, params, status, field in cases:
        response = client.get(path, params=params, headers=analyst)
        assert (response.status_code, response.json().get("field")) == (status, field), params


def test_an_empty_log_is_an_empty_graph(client: TestClient, analyst: dict[str, str]) -> None:
    response = _around(client, analyst, key="account:A1")
    assert response.status_code == 404


@pytest.mark.usefixtures("paid")
def test_personal_identifiers_are_masked_without_pii_read(
    client: TestClient, analyst: dict[str, str]
) -> None:
    body = _around(client, analyst, key="account:A1").json()
    keys = {n["key"] for n in body["nodes"]}
    assert "counterparty:****X9" in keys
    assert "counterparty:GB-X9" not in str(body)
    assert "account:A2" in keys  # the bank's own accounts are not masked


def test_roles(client: TestClient, ctx: ApiContext, service: dict[str, str]) -> None:
    assert _around(client, service, key="account:A1").status_code == 403
    for role in (Role.analyst, Role.senior_analyst, Role.auditor, Role.risk_officer):
        assert _around(client, _key(ctx, role), key="account:A1").status_code == 404, role
