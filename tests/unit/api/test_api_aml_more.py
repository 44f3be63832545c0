"""The AML capabilities reached through the API: list history and rollback, reviews due,
graph cycles, communities and entity resolution, and the typology findings.

Each test pays a handful of hand-made transactions through ``POST /v1/transactions``
and uploads the tiny sample lists, so every graph and detector run stays small.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import SAMPLE_SDN_CSV, api_key, load_sample_lists, transaction

# A round trip A1 -> A2 -> A3 -> A1 (each hop passes on most of the last, a day apart);
# customers cust-A1 and cust-A2 share a device and a phone (entity resolution).
ROUND_TRIP = [
    ("A1", "A2", "5000.00", "2026-03-02T09:00:00Z", {"device_id": "dev-1"}),
    ("A2", "A3", "4900.00", "2026-03-03T09:00:00Z", {"device_id": "dev-1"}),
    ("A3", "A1", "4800.00", "2026-03-04T09:00:00Z", {}),
]


def _key(ctx: ApiContext, role: Role) -> dict[str, str]:
    return {"X-API-Key": api_key(ctx, role)}


@pytest.fixture
def service(ctx: ApiContext) -> dict[str, str]:
    return _key(ctx, Role.service)


@pytest.fixture
def analyst(ctx: ApiContext) -> dict[str, str]:
    return _key(ctx, Role.analyst)


@pytest.fixture
def officer(ctx: ApiContext) -> dict[str, str]:
    return _key(ctx, Role.compliance_officer)


@pytest.fixture
def paid(client: TestClient, service: dict[str, str]) -> None:
    for n, (account, to, amount, at, other) in enumerate(ROUND_TRIP, 1):
        body = transaction(
            n,
            account_id=account,
            customer_id=f"cust-{account}",
            counterparty_account_id=to,
            amount=amount,
            occurred_at=at,
            merchant_id=None,
            channel="online",
            **other,
        )
        response = client.post("/v1/transactions", json=body, headers=service)
        assert response.status_code in {200, 201}, response.text


def _field(response: Any) -> tuple[int, Any]:
    return response.status_code, response.json().get("field")


# -- screening list history and rollback ------------------------------------------------------


def _upload(client: TestClient, headers: dict[str, str], text: str) -> Any:
    response = client.post(
        "/v1/screening/lists", params={"format": "ofac"}, content=text.encode(), headers=headers
    )
    assert response.status_code in {200, 201}, response.text
    return response


def test_a_list_history_and_a_rollback_rebuild_the_screener(
    client: TestClient, ctx: ApiContext, officer: dict[str, str], analyst: dict[str, str]
) -> None:
    _upload(client, officer, SAMPLE_SDN_CSV)
    listed = '9999,"PETROVSKY, Ivan","individual","RUSSIA-EO14024"' + ",-0-" * 8
    grown = f"{SAMPLE_SDN_CSV}{listed}\n"
    _upload(client, officer, grown)
    history = client.get("/v1/screening/lists/ofac_sdn/versions", headers=analyst)
    assert history.status_code == 200
    assert [(v["version"], v["active"]) for v in history.json()["versions"]] == [
        (1, False),
        (2, True),
    ]
    screened = client.post("/v1/screening", json={"name": "Ivan Petrovsky"}, headers=analyst)
    assert screened.json()["match"] is True

    back = client.post("/v1/screening/lists/ofac_sdn/versions/1/activate", headers=officer)
    assert back.status_code == 200, back.text
    assert back.json()["version"]["version"] == 1
    assert back.json()["previous"] == 2
    assert back.json()["diff"] == {"added": 0, "changed": 0, "removed": 1}
    screened = client.post("/v1/screening", json={"name": "Ivan Petrovsky"}, headers=analyst)
    assert screened.json()["match"] is False
    assert screened.json()["lists"] == ["ofac_sdn:v1"]
    audited = [
        (e["payload"]["target"], e["payload"]["outcome"])
        for e in ctx.audit.entries(limit=100)
        if e["type"] == "audit.screening_list_activated"
    ]
    assert audited == [("list:ofac_sdn:v1", "success")]


def test_list_history_refusals(
    client: TestClient, ctx: ApiContext, officer: dict[str, str], analyst: dict[str, str]
) -> None:
    _upload(client, officer, SAMPLE_SDN_CSV)
    cases = [
        ("get", "/v1/screening/lists/nope/versions", officer, 404, "list"),
        ("get", "/v1/screening/lists/Bad%20Name/versions", officer, 422, "list"),
        ("post", "/v1/screening/lists/nope/versions/1/activate", officer, 404, "list"),
        ("post", "/v1/screening/lists/ofac_sdn/versions/7/activate", officer, 404, "version"),
        ("post", "/v1/screening/lists/ofac_sdn/versions/0/activate", officer, 422, "version"),
        ("post", "/v1/screening/lists/ofac_sdn/versions/x/activate", officer, 422, "version"),
    ]
    for method, path, headers, status, field in cases:
        response = getattr(client, method)(path, headers=headers)
        assert _field(response) == (status, field), path
    refused = client.post("/v1/screening/lists/ofac_sdn/versions/1/activate", headers=analyst)
    assert refused.status_code == 403
    no_service = client.get(
        "/v1/screening/lists/ofac_sdn/versions", headers=_key(ctx, Role.auditor)
    )
    assert no_service.status_code == 200
    failures = [
        e["payload"]["target"]
        for e in ctx.audit.entries(limit=100)
        if e["type"] == "audit.screening_list_activated"
    ]
    assert failures == ["list:nope:v1", "list:ofac_sdn:v7"]


# -- KYC reviews due --------------------------------------------------------------------------


def test_reviews_due_for_the_records_sent_most_overdue_first(
    client: TestClient, officer: dict[str, str], analyst: dict[str, str]
) -> None:
    body = {
        "as_of": "2026-06-30",
        "customers": [
            {"customer_id": "c-low", "tier": "low", "last_reviewed": "2025-06-01"},
            {"customer_id": "c-high", "tier": "high", "last_reviewed": "2025-01-15"},
            {"customer_id": "c-fresh", "tier": "high", "last_reviewed": "2026-06-01"},
        ],
    }
    response = client.post("/v1/kyc/reviews-due", json=body, headers=officer)
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["as_of"], out["checked"], out["truncated"]) == ("2026-06-30", 3, False)
    assert [d["customer_id"] for d in out["due"]] == ["c-high"]
    assert out["due"][0]["due_on"] == "2026-01-15"
    assert out["due"][0]["days_overdue"] == 166
    limited = client.post("/v1/kyc/reviews-due", json={**body, "limit": 1}, headers=officer)
    assert limited.json()["due_count"] == 1

    bad = {"customers": [{"customer_id": "c1", "tier": "extreme", "last_reviewed": "2025-01-01"}]}
    assert _field(client.post("/v1/kyc/reviews-due", json=bad, headers=officer)) == (
        422,
        "customers.0.tier",
    )
    empty = client.post("/v1/kyc/reviews-due", json={"customers": []}, headers=officer)
    assert _field(empty) == (422, "customers")
    forbidden = client.post("/v1/kyc/reviews-due", json=body, headers=analyst)
    assert forbidden.status_code == 403


# -- graph: cycles, communities, entities -----------------------------------------------------


@pytest.mark.usefixtures("paid")
def test_cycles_come_with_their_hops_and_transactions(
    client: TestClient, analyst: dict[str, str]
) -> None:
    response = client.get("/v1/graph/cycles", params={"window_days": 10}, headers=analyst)
    assert response.status_code == 200, response.text
    (cycle,) = response.json()["cycles"]
    assert cycle["origin"] == "account:A1"
    assert cycle["nodes"] == ["account:A1", "account:A2", "account:A3"]
    assert [h["amount_minor"] for h in cycle["hops"]] == [500000, 490000, 480000]
    assert cycle["transaction_ids"] == ["tx-00000001", "tx-00000002", "tx-00000003"]
    assert cycle["start"].startswith("2026-03-02")
    short = client.get("/v1/graph/cycles", params={"window_days": 1}, headers=analyst)
    assert short.json()["cycles"] == []
    two_hops = client.get("/v1/graph/cycles", params={"max_length": 2}, headers=analyst)
    assert two_hops.json()["cycles"] == []
    at_a1 = client.get("/v1/graph/cycles", params={"origin": "account:A1"}, headers=analyst)
    assert [c["origin"] for c in at_a1.json()["cycles"]] == ["account:A1"]
    # from A2 the loop closes only by going back in time (A1 paid A2 first): no cycle
    at_a2 = client.get("/v1/graph/cycles", params={"origin": "account:A2"}, headers=analyst)
    assert at_a2.json()["cycles"] == []


@pytest.mark.usefixtures("paid")
def test_graph_analytics_refusals(
    client: TestClient, ctx: ApiContext, analyst: dict[str, str]
) -> None:
    cases = [
        ("/v1/graph/cycles", {"origin": "account:NOPE"}, 404, "origin"),
        ("/v1/graph/cycles", {"origin": "planet:Mars"}, 422, "origin"),
        ("/v1/graph/cycles", {"max_length": 13}, 422, "max_length"),
        ("/v1/graph/cycles", {"window_days": 0}, 422, "window_days"),
        ("/v1/graph/communities", {"method": "kmeans"}, 422, "method"),
        ("/v1/graph/communities", {"min_size": 1}, 422, "min_size"),
        ("/v1/graph/entities", {"kind": "planet"}, 422, "kind.0"),
        ("/v1/graph/entities", {"max_share": 1}, 422, "max_share"),
    ]
    for path, params, status, field in cases:
        assert _field(client.get(path, params=params, headers=analyst)) == (status, field), params
    service = _key(ctx, Role.service)
    for path in ("/v1/graph/cycles", "/v1/graph/communities", "/v1/graph/entities"):
        assert client.get(path, headers=service).status_code == 403


@pytest.mark.usefixtures("paid")
def test_communities_are_bounded(client: TestClient, analyst: dict[str, str]) -> None:
    for method in ("leiden", "louvain"):
        params = {"method": method, "min_size": 2, "max_members": 2}
        response = client.get("/v1/graph/communities", params=params, headers=analyst)
        assert response.status_code == 200, response.text
        out = response.json()
        assert (out["method"], out["total"], out["truncated"]) == (method, 1, False)
        (community,) = out["communities"]
        assert community["size"] == 3
        assert community["members"] == ["account:A1", "account:A2"]
        assert community["members_truncated"] is True
    large = client.get("/v1/graph/communities", params={"min_size": 4}, headers=analyst)
    assert large.json()["communities"] == []


@pytest.mark.usefixtures("paid")
def test_entities_show_the_shared_evidence_masked_without_pii_read(
    client: TestClient, ctx: ApiContext, analyst: dict[str, str]
) -> None:
    seen = client.get("/v1/graph/entities", headers=_key(ctx, Role.compliance_officer)).json()
    (cluster,) = seen["clusters"]
    assert cluster["customers"] == ["customer:cust-A1", "customer:cust-A2"]
    assert [(e["attribute"], e["kind"]) for e in cluster["evidence"]] == [
        ("device:dev-1", "device")
    ]
    masked = client.get("/v1/graph/entities", headers=analyst).json()
    attribute = masked["clusters"][0]["evidence"][0]["attribute"]
    assert attribute.startswith("device:")
    assert "dev-1" not in attribute
    only_ips = client.get("/v1/graph/entities", params={"kind": "ip"}, headers=analyst)
    assert only_ips.json()["clusters"] == []


# -- AML findings -----------------------------------------------------------------------------


@pytest.mark.usefixtures("paid")
def test_findings_of_the_detectors_over_the_log(
    client: TestClient, ctx: ApiContext, analyst: dict[str, str], service: dict[str, str]
) -> None:
    response = client.get("/v1/aml/findings", headers=analyst)
    assert response.status_code == 200, response.text
    out = response.json()
    (found,) = out["findings"]
    assert found["typology"] == "cycle"
    assert found["account_ids"] == ["A1", "A2", "A3"]
    assert found["transaction_ids"] == ["tx-00000001", "tx-00000002", "tx-00000003"]
    assert (found["first_event_at"], found["detected_at"]) == (
        "2026-03-02T09:00:00Z",
        "2026-03-04T09:00:00Z",
    )
    assert "came back" in found["narrative"]
    assert out["detectors"]["transactions"] == 3
    one = client.get(f"/v1/aml/findings/{found['finding_id']}", headers=analyst)
    assert one.status_code == 200
    assert one.json()["score"] == found["score"]
    none = client.get("/v1/aml/findings", params={"typology": "structuring"}, headers=analyst)
    assert none.json()["findings"] == []

    # later events are read incrementally
    body = transaction(9, account_id="A9", customer_id="cust-A9", merchant_id=None)
    assert client.post("/v1/transactions", json=body, headers=service).status_code == 201
    again = client.get("/v1/aml/findings", headers=analyst).json()
    assert again["detectors"]["transactions"] == 4


def test_a_payment_to_a_listed_name_is_a_sanctions_finding(
    client: TestClient, officer: dict[str, str], analyst: dict[str, str], service: dict[str, str]
) -> None:
    load_sample_lists(client, officer)
    body = transaction(1, account_id="A7", counterparty_name="Ayman al-Zawahiri", merchant_id=None)
    assert client.post("/v1/transactions", json=body, headers=service).status_code == 201
    found = client.get(
        "/v1/aml/findings", params={"typology": "sanctioned_counterparty"}, headers=analyst
    ).json()["findings"]
    assert [f["transaction_ids"] for f in found] == [["tx-00000001"]]


def test_findings_refusals(client: TestClient, ctx: ApiContext, analyst: dict[str, str]) -> None:
    unknown = client.get("/v1/aml/findings/aml-cycle-0000", headers=analyst)
    assert _field(unknown) == (404, "finding_id")
    cases = [({"typology": "smurfing"}, "typology"), ({"limit": 0}, "limit")]
    for params, field in cases:
        response = client.get("/v1/aml/findings", params=params, headers=analyst)
        assert _field(response) == (422, field)
    for role in (Role.service,):
        assert client.get("/v1/aml/findings", headers=_key(ctx, role)).status_code == 403
    auditor = _key(ctx, Role.auditor)
    assert client.get("/v1/aml/findings", headers=auditor).status_code == 200
