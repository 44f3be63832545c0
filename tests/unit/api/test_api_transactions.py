"""POST /v1/transactions, /batch and GET by id: stored as events, decided, idempotent, masked."""

from __future__ import annotations

from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import TEST_PAN, api_key, login, transaction


def _service(ctx: ApiContext) -> dict[str, str]:
    return {"X-API-Key": api_key(ctx)}


def test_one_transaction_is_stored_as_a_received_event_and_decided(
    client: TestClient, ctx: ApiContext
) -> None:
    response = client.post("/v1/transactions", json=transaction(), headers=_service(ctx))
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "decided"
    assert body["duplicate"] is False
    record = next(iter(ctx.log.read(body["seq"], body["seq"])))
    event = record.envelope()
    assert event.id == body["event_id"]
    assert event.type == "transaction.received"
    assert event.payload["amount"] == "11.01"
    decision = body["decision"]
    assert decision["transaction_id"] == "tx-00000001"
    assert 0 <= decision["score"] <= 100
    assert decision["outcome"] in {"approve", "review", "block"}
    assert decision["degraded"] is True  # no model promoted in this data dir: rules alone
    assert decision["model_version"] is None
    assert decision["ruleset_version"] == "1"


def test_the_same_transaction_twice_is_stored_once(client: TestClient, ctx: ApiContext) -> None:
    headers = _service(ctx)
    first = client.post("/v1/transactions", json=transaction(), headers=headers).json()
    again = client.post("/v1/transactions", json=transaction(), headers=headers)
    assert again.status_code == 200
    second = again.json()
    assert second["duplicate"] is True
    assert second["seq"] == first["seq"]
    assert second["decision"] == first["decision"]
    assert ctx.log.head().seq == first["seq"]
    assert ctx.monitoring.decisions.count() == 1


def test_idempotency_key_replays_or_conflicts(client: TestClient, ctx: ApiContext) -> None:
    headers = {**_service(ctx), "Idempotency-Key": "req-1"}
    first = client.post("/v1/transactions", json=transaction(), headers=headers)
    again = client.post("/v1/transactions", json=transaction(), headers=headers)
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotency-replayed"] == "true"
    head = ctx.log.head().seq
    other = client.post("/v1/transactions", json=transaction(2), headers=headers)
    assert other.status_code == 409
    assert other.json()["field"] == "Idempotency-Key"
    assert ctx.log.head().seq == head


def test_batch_is_all_or_nothing(client: TestClient, ctx: ApiContext) -> None:
    headers = _service(ctx)
    good = [transaction(n) for n in range(1, 51)]
    response = client.post("/v1/transactions/batch", json={"transactions": good}, headers=headers)
    assert response.status_code == 201
    assert response.json()["appended"] == 50
    decisions = response.json()["decisions"]
    assert [d["transaction_id"] for d in decisions] == [t["transaction_id"] for t in good]
    assert sum(response.json()["outcomes"].values()) == 50
    decided = ctx.monitoring.decisions.count()
    head = ctx.log.head().seq
    bad = [transaction(n) for n in range(100, 110)]
    bad[3]["amount"] = "1.234"
    bad[7]["currency"] = "XXZ"
    response = client.post("/v1/transactions/batch", json={"transactions": bad}, headers=headers)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"transactions.3.amount", "transactions.7.currency"} <= fields
    assert ctx.log.head().seq == head
    assert ctx.monitoring.decisions.count() == decided  # a refused batch is not scored either


def test_batch_limit(client: TestClient, ctx: ApiContext) -> None:
    many = {"transactions": [transaction(n) for n in range(10_001)]}
    response = client.post("/v1/transactions/batch", json=many, headers=_service(ctx))
    assert response.status_code == 422
    assert response.json()["field"] == "transactions"


def test_get_masks_pii_and_card_numbers_by_role(client: TestClient, ctx: ApiContext) -> None:
    body = transaction(description=f"card {TEST_PAN} at store")
    client.post("/v1/transactions", json=body, headers=_service(ctx))
    analyst = login(client, ctx, Role.analyst)
    officer = login(client, ctx, Role.compliance_officer)
    seen_by_analyst = client.get("/v1/transactions/tx-00000001", headers=analyst.headers).json()
    seen_by_officer = client.get("/v1/transactions/tx-00000001", headers=officer.headers).json()
    assert seen_by_analyst["payload"]["counterparty_name"] == "****nn"
    assert seen_by_analyst["payload"]["description"].startswith("****")
    assert seen_by_officer["payload"]["counterparty_name"] == "Erika Mustermann"
    assert seen_by_officer["payload"]["description"] == "card ************1111 at store"
    assert seen_by_officer["payload"]["amount"] == "11.01"


def test_get_unknown_transaction_is_404(client: TestClient, ctx: ApiContext) -> None:
    analyst = login(client, ctx, Role.analyst)
    response = client.get("/v1/transactions/nope", headers=analyst.headers)
    assert response.status_code == 404
    assert response.json()["field"] == "transaction_id"


def test_events_tail_paging_and_verify(client: TestClient, ctx: ApiContext) -> None:
    headers = _service(ctx)
    batch = {"transactions": [transaction(n) for n in range(1, 31)]}
    client.post("/v1/transactions/batch", json=batch, headers=headers)
    auditor = login(client, ctx, Role.auditor)
    page = client.get("/v1/events?after_seq=0&limit=10", headers=auditor.headers).json()
    assert [i["seq"] for i in page["items"]] == list(range(1, 11))
    assert page["next_after_seq"] == 10
    tail = client.get("/v1/events?limit=5", headers=auditor.headers).json()
    assert tail["items"][-1]["seq"] == tail["head_seq"]
    typed = client.get("/v1/events?after_seq=0&type=audit.login", headers=auditor.headers).json()
    assert [i["type"] for i in typed["items"]] == ["audit.login"]
    verify = client.get("/v1/events/verify", headers=auditor.headers).json()
    assert verify["ok"] is True


def test_audit_trail_is_queryable_by_auditors(client: TestClient, ctx: ApiContext) -> None:
    analyst = login(client, ctx, Role.analyst)
    client.get("/v1/audit", headers=analyst.headers)  # denied, and audited
    auditor = login(client, ctx, Role.auditor)
    items = client.get("/v1/audit", headers=auditor.headers).json()["items"]
    kinds = [(i["type"], i["payload"]["outcome"]) for i in items]
    assert ("audit.access_denied", "denied") in kinds
    mine = client.get(f"/v1/audit?actor={analyst.user_id}", headers=auditor.headers).json()
    assert {i["payload"]["actor"] for i in mine["items"]} == {analyst.user_id}


def test_metric_entries_round_trip(client: TestClient, ctx: ApiContext) -> None:
    risk = login(client, ctx, Role.risk_officer)
    entry = {
        "name": "risk.var_99",
        "value": "1250000.50",
        "unit": "EUR",
        "observed_at": "2026-03-01T00:00:00Z",
        "dimensions": {"desk": "rates"},
    }
    created = client.post("/v1/metrics-entries", json=entry, headers=risk.headers)
    assert created.status_code == 201
    listed = client.get("/v1/metrics-entries?name=risk.var_99", headers=risk.headers).json()
    assert listed["items"][0]["value"] == "1250000.50"
    assert listed["items"][0]["entered_by"] == risk.username
    assert listed["items"][0]["dimensions"] == {"desk": "rates"}
    bad = client.post("/v1/metrics-entries", json={**entry, "value": 1.5}, headers=risk.headers)
    assert bad.status_code == 422
    assert bad.json()["field"] == "value"


def test_webhooks_register_rotate_delete(client: TestClient, ctx: ApiContext) -> None:
    admin = login(client, ctx, Role.admin)
    created = client.post(
        "/v1/webhooks", json={"url": "https://hooks.example.com/finmon"}, headers=admin.headers
    )
    assert created.status_code == 201
    hook = created.json()
    from finmon.api.testing import remember

    remember(hook["secret"])
    raw = ctx.db.query("SELECT secret FROM webhooks WHERE id = ?", (hook["id"],))[0][0]
    assert hook["secret"] not in raw
    rotated = client.post(f"/v1/webhooks/{hook['id']}/rotate", headers=admin.headers).json()
    remember(rotated["secret"])
    assert ctx.webhooks.secrets_of(hook["id"]) == [rotated["secret"], hook["secret"]]
    listed = client.get("/v1/webhooks", headers=admin.headers).json()
    assert "secret" not in listed[0]
    assert client.delete(f"/v1/webhooks/{hook['id']}", headers=admin.headers).status_code == 204
    plain = client.post(
        "/v1/webhooks", json={"url": "http://insecure.example.com"}, headers=admin.headers
    )
    assert plain.status_code == 422
    assert plain.json()["field"] == "url"


def test_users_admin(client: TestClient, ctx: ApiContext) -> None:
    admin = login(client, ctx, Role.admin)
    body = {"username": "newbie", "role": "analyst", "password": "long enough password"}
    created = client.post("/v1/users", json=body, headers=admin.headers)
    assert created.status_code == 201
    from finmon.api.testing import remember

    remember(created.json()["totp_secret"], body["password"])
    assert created.json()["totp_uri"].startswith("otpauth://totp/")
    assert client.post("/v1/users", json=body, headers=admin.headers).status_code == 409
    user_id = created.json()["id"]
    patched = client.patch(
        f"/v1/users/{user_id}", json={"role": "senior_analyst"}, headers=admin.headers
    )
    assert patched.json()["role"] == "senior_analyst"
    listed = client.get("/v1/users", headers=admin.headers).json()
    assert "totp_secret" not in listed[0]
    assert "password_hash" not in listed[0]


def test_large_batches_take_the_columnar_path_with_the_same_verdicts(
    client: TestClient, ctx: ApiContext
) -> None:
    rows = [transaction(n) for n in range(100)]
    rows[70]["amount"] = "1.234"
    rows[90]["occurred_at"] = "2026-03-02T08:59:00+01:00"
    response = client.post(
        "/v1/transactions/batch", json={"transactions": rows}, headers=_service(ctx)
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"transactions.70.amount"}
    rows[70]["amount"] = "1.23"
    accepted = client.post(
        "/v1/transactions/batch", json={"transactions": rows}, headers=_service(ctx)
    )
    assert accepted.json()["appended"] == 100


def test_api_settings_errors_name_the_field() -> None:
    import pytest

    from finmon.api.settings import ApiSettings
    from finmon.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        ApiSettings(access_token_ttl_s=0, rate_limit_rps=-1)
    assert {p.field for p in caught.value.problems} == {"access_token_ttl_s", "rate_limit_rps"}
