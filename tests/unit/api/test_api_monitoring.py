"""The monitoring engine through the API: decisions on ingest, rules, models, decisions.

A tiny model is trained once per session on a 3,000-transaction demo dataset
and registered beside three others made from it: a second good version, one
that claims another feature set, and one whose booster file was altered after
registration. Each test copies that registry into its own data dir.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import T0, Login, api_key, login, transaction
from finmon.core.clock import SimulatedClock
from finmon.core.settings import Settings
from finmon.monitor.engine import Engine

SECOND_IN_A_DAY = """\
name: test-rules
version: 2
description: one rule that reads a stateful feature
rules:
  - id: second-in-a-day
    description: Second payment of the account within a day
    expression: acct_count_24h >= 2
    severity: critical
    score: 95
    tags: [test]
"""
UNKNOWN_NAME = """\
name: broken
version: 3
rules:
  - id: typo
    description: a feature name that does not exist
    expression: acct_count_24h >= 2 and acct_colour == 1
    severity: low
    score: 5
"""


@dataclasses.dataclass(frozen=True)
class Registry:
    """The template registry: which version is which."""

    models: Path
    champion: str
    second: str
    other_features: str
    tampered: str


@pytest.fixture(scope="session")
def registry_template(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    from finmon.monitor import service
    from finmon.monitor.dataset import load_dataset
    from finmon.sim import generate_dataset, load_scenario

    root = tmp_path_factory.mktemp("monitor-template")
    generate_dataset(load_scenario("demo", seed=7, transactions=3000), root / "ds")
    settings = Settings(data_dir=root / "data")
    clock = SimulatedClock(T0)
    trained = service.train(
        settings,
        load_dataset(root / "ds"),
        "scenario:demo:seed=7",
        author="tests",
        params={"num_boost_round": 15, "max_depth": 3},
        clock=clock,
    )
    registry = service.open_registry(settings, clock)
    model = trained.model
    second = registry.register(dataclasses.replace(model), author="tests", note="second")
    other = registry.register(
        dataclasses.replace(model, feature_set_version="000000000000"), author="tests"
    )
    tampered = registry.register(dataclasses.replace(model), author="tests")
    booster = tampered.path / "booster.ubj"
    booster.write_bytes(booster.read_bytes() + b"\x00")
    return Registry(
        registry.root,
        trained.version.version,
        second.version,
        other.version,
        tampered.version,
    )


@pytest.fixture
def served(ctx: ApiContext, registry_template: Registry) -> Registry:
    """This test's data dir holds a copy of the template registry (champion promoted)."""
    shutil.copytree(registry_template.models, ctx.settings.data_dir / "monitor" / "models")
    return registry_template


@pytest.fixture
def service_headers(ctx: ApiContext) -> dict[str, str]:
    return {"X-API-Key": api_key(ctx)}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The transaction ids of every ``Engine.score_many`` call."""
    seen: list[list[str]] = []
    original: Callable[..., Any] = Engine.score_many

    def spy(self: Engine, txns: Sequence[Any], **kwargs: Any) -> Any:
        seen.append([t.transaction_id for t in txns])
        return original(self, txns, **kwargs)

    monkeypatch.setattr(Engine, "score_many", spy)
    return seen


def _post(client: TestClient, headers: dict[str, str], n: int, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/transactions", json=transaction(n, **fields), headers=headers)
    assert response.status_code in {200, 201}, response.text
    body: dict[str, Any] = response.json()
    return body


def _audited(ctx: ApiContext) -> list[tuple[str, str]]:
    return [
        (e["type"].removeprefix("audit."), e["payload"]["outcome"])
        for e in ctx.audit.entries(limit=1000)
    ]


# -- decisions on ingest ---------------------------------------------------------------------


def test_transaction_is_decided_by_the_champion_and_explained(
    client: TestClient, ctx: ApiContext, served: Registry, service_headers: dict[str, str]
) -> None:
    plain = _post(client, service_headers, 1)
    assert plain["status"] == "decided"
    decision = plain["decision"]
    assert decision["degraded"] is False
    assert decision["model_version"] == served.champion
    assert decision["ruleset_version"] == "1"
    assert 0 <= decision["score"] <= 100
    assert decision["model_probability"] is not None

    risky = _post(client, service_headers, 2, counterparty_country="KP", channel="transfer")
    flagged = risky["decision"]
    assert flagged["outcome"] in {"review", "block"}
    assert flagged["score"] >= 60  # a critical rule's floor
    assert flagged["alert_id"].startswith("AL-")
    assert flagged["reasons"][0]["kind"] == "rule"
    assert "sanctioned-jurisdiction" in flagged["rule_hits"]
    assert {r["kind"] for r in flagged["reasons"]} <= {"rule", "feature"}

    analyst = login(client, ctx, Role.analyst)
    detail = client.get("/v1/transactions/tx-00000002", headers=analyst.headers).json()
    assert detail["decision"] == flagged
    assert client.get("/v1/decisions/tx-00000002", headers=analyst.headers).json() == flagged
    listed = client.get(
        "/v1/decisions", params={"outcome": flagged["outcome"]}, headers=analyst.headers
    ).json()
    assert [d["transaction_id"] for d in listed["items"]] == ["tx-00000002"]
    assert len(client.get("/v1/decisions", headers=analyst.headers).json()["items"]) == 2


def test_a_retry_returns_the_first_decision_and_is_not_scored_again(
    client: TestClient,
    ctx: ApiContext,
    service_headers: dict[str, str],
    calls: list[list[str]],
) -> None:
    first = client.post("/v1/transactions", json=transaction(1), headers=service_headers)
    again = client.post("/v1/transactions", json=transaction(1), headers=service_headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert again.json()["decision"] == first.json()["decision"]
    keyed = {**service_headers, "Idempotency-Key": "k-2"}
    one = client.post("/v1/transactions", json=transaction(2), headers=keyed)
    two = client.post("/v1/transactions", json=transaction(2), headers=keyed)
    assert two.headers["idempotency-replayed"] == "true"
    assert two.json() == one.json()
    assert calls == [["tx-00000001"], ["tx-00000002"]]  # each scored once, ever
    assert ctx.monitoring.decisions.count() == 2


def test_batch_decides_every_item_in_one_engine_call(
    client: TestClient,
    ctx: ApiContext,
    service_headers: dict[str, str],
    calls: list[list[str]],
) -> None:
    _post(client, service_headers, 1)
    rows = [transaction(n) for n in range(1, 6)] + [transaction(3)]
    response = client.post(
        "/v1/transactions/batch", json={"transactions": rows}, headers=service_headers
    )
    assert response.status_code == 201
    body = response.json()
    ids = [d["transaction_id"] for d in body["decisions"]]
    assert ids == [r["transaction_id"] for r in rows]
    assert body["decisions"][2] == body["decisions"][5]  # the same id, the same decision
    assert sum(body["outcomes"].values()) == len(rows)
    assert all(d["degraded"] for d in body["decisions"])  # no model here: rules alone
    assert calls == [["tx-00000001"], ["tx-00000002", "tx-00000003", "tx-00000004", "tx-00000005"]]
    stored = client.get(
        "/v1/decisions/tx-00000001", headers=login(client, ctx, Role.auditor).headers
    )
    assert stored.json() == body["decisions"][0]


def test_a_bad_transaction_is_refused_and_never_decided(
    client: TestClient,
    ctx: ApiContext,
    service_headers: dict[str, str],
    calls: list[list[str]],
) -> None:
    bad = transaction(1, amount="1.234")  # valid for the schema, not for EUR's two decimals
    response = client.post("/v1/transactions", json=bad, headers=service_headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "amount"
    rows = [transaction(2), transaction(3, currency="XXZ")]
    batch = client.post(
        "/v1/transactions/batch", json={"transactions": rows}, headers=service_headers
    )
    assert batch.status_code == 422
    assert batch.json()["field"] == "transactions.1.currency"
    assert calls == []
    analyst = login(client, ctx, Role.analyst)
    for tid in ("tx-00000001", "tx-00000002"):
        missing = client.get(f"/v1/decisions/{tid}", headers=analyst.headers)
        assert missing.status_code == 404
        assert missing.json()["field"] == "transaction_id"
    assert client.get("/v1/decisions?outcome=approve", headers=analyst.headers).json() == {
        "items": []
    }
    assert client.get("/v1/decisions?outcome=maybe", headers=analyst.headers).status_code == 422


# -- rules -------------------------------------------------------------------------------------


def test_rules_validate_reports_every_problem_with_its_position(
    client: TestClient, ctx: ApiContext
) -> None:
    analyst = login(client, ctx, Role.analyst)
    active = client.get("/v1/rules", headers=analyst.headers).json()
    assert active["revision"] is None  # the shipped default
    assert active["name"] == "finmon-default"
    assert any(r["id"] == "sanctioned-jurisdiction" for r in active["rules"])

    def check(text: str) -> dict[str, Any]:
        response = client.post("/v1/rules/validate", json={"text": text}, headers=analyst.headers)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    good = check(SECOND_IN_A_DAY)
    assert (good["valid"], good["problems"], good["rules"]) == (True, [], 1)
    unknown = check(UNKNOWN_NAME)
    assert unknown["valid"] is False
    [problem] = unknown["problems"]
    assert problem["rule_id"] == "typo"
    assert problem["line"] == 6  # the expression's line
    assert problem["column"] > len("    expression: acct_count_24h >= 2 and")
    assert "acct_colour" in problem["reason"]
    syntax = check("name: x\nrules: [\n  - id: a\n")
    assert syntax["valid"] is False
    assert syntax["problems"][0]["code"] == "yaml"
    assert syntax["problems"][0]["line"] >= 2
    control = check("name: x\n\x1f")
    assert control["problems"][0]["line"] == 2
    assert control["problems"][0]["column"] == 1


def test_deploy_swaps_the_rules_keeping_feature_state_and_rolls_back(
    client: TestClient, ctx: ApiContext, service_headers: dict[str, str]
) -> None:
    risk = login(client, ctx, Role.risk_officer)
    first = _post(client, service_headers, 97)  # account acct-0000, first payment
    assert "second-in-a-day" not in first["decision"]["rule_hits"]

    refused = client.post("/v1/rules", json={"text": UNKNOWN_NAME}, headers=risk.headers)
    assert refused.status_code == 422
    assert refused.json()["field"] == "rules.typo.expression"
    assert "line 6" in refused.json()["errors"][0]["reason"]
    assert client.get("/v1/rules", headers=risk.headers).json()["revision"] is None

    keyed = {**risk.headers, "Idempotency-Key": "deploy-1"}
    body = {"text": SECOND_IN_A_DAY, "comment": "trial"}
    deployed = client.post("/v1/rules", json=body, headers=keyed)
    assert deployed.status_code == 201
    assert deployed.json()["revision"]["revision"] == 1
    assert deployed.json()["diff"]["added"] == ["second-in-a-day"]
    assert client.post("/v1/rules", json=body, headers=keyed).json() == deployed.json()
    assert client.get("/v1/rules", headers=risk.headers).json()["revision"]["revision"] == 1

    # The same account's second payment: the new rule sees the count the old engine kept.
    second = _post(client, service_headers, 194)
    assert second["decision"]["rule_hits"] == ["second-in-a-day"]
    assert second["decision"]["outcome"] == "block"
    assert second["decision"]["ruleset_version"] == "2"

    active_text = client.get("/v1/rules", headers=risk.headers).json()["text"]
    assert active_text == SECOND_IN_A_DAY
    unknown = client.post("/v1/rules/99/activate", headers=risk.headers)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "revision"

    analyst = login(client, ctx, Role.analyst)
    assert client.post("/v1/rules", json=body, headers=analyst.headers).status_code == 403
    assert client.post("/v1/rules/1/activate", headers=analyst.headers).status_code == 403

    history = client.get("/v1/rules/history", headers=analyst.headers).json()
    assert history["active"] == 1
    assert [c["action"] for c in history["changes"]] == ["reject", "save", "activate"]
    assert history["changes"][-1]["author"] == risk.username
    assert ("rules_deployed", "success") in _audited(ctx)
    assert ("rules_deployed", "failure") in _audited(ctx)


def test_activating_an_older_revision_rolls_back(
    client: TestClient, ctx: ApiContext, service_headers: dict[str, str]
) -> None:
    from finmon.monitor.rules import default_ruleset_text

    admin = login(client, ctx, Role.admin)
    assert (
        client.post(
            "/v1/rules", json={"text": default_ruleset_text()}, headers=admin.headers
        ).status_code
        == 201
    )
    assert (
        client.post("/v1/rules", json={"text": SECOND_IN_A_DAY}, headers=admin.headers).status_code
        == 201
    )
    _post(client, service_headers, 97)
    assert _post(client, service_headers, 194)["decision"]["outcome"] == "block"
    rolled = client.post(
        "/v1/rules/1/activate", json={"comment": "too noisy"}, headers=admin.headers
    )
    assert rolled.status_code == 200
    assert rolled.json()["revision"]["revision"] == 1
    assert rolled.json()["diff"]["removed"] == ["second-in-a-day"]
    third = _post(client, service_headers, 291)  # acct-0000 again: the rule is gone
    assert "second-in-a-day" not in third["decision"]["rule_hits"]
    assert third["decision"]["ruleset_version"] == "1"
    changes = client.get("/v1/rules/history", headers=admin.headers).json()["changes"]
    assert changes[-1]["detail"] == "rollback"
    assert ("rules_activated", "success") in _audited(ctx)


# -- models ------------------------------------------------------------------------------------


def _risk(client: TestClient, ctx: ApiContext) -> Login:
    return login(client, ctx, Role.risk_officer)


def test_models_list_and_champion_info(
    client: TestClient, ctx: ApiContext, served: Registry
) -> None:
    analyst = login(client, ctx, Role.analyst)
    listed = client.get("/v1/models", headers=analyst.headers).json()
    assert listed["champion"] == listed["serving"] == served.champion
    assert listed["challenger"] is None
    roles = {v["version"]: v["role"] for v in listed["versions"]}
    assert roles[served.champion] == "champion"
    assert len(roles) == 4
    tampered = next(v for v in listed["versions"] if v["version"] == served.tampered)
    assert tampered["summary"]["version"] == served.tampered  # metadata intact, booster not

    info = client.get("/v1/models/champion", headers=analyst.headers).json()
    assert info["version"] == served.champion
    assert info["serving"] is True
    assert info["feature_set_version"] == listed["feature_set_version"]
    assert len(info["feature_names"]) > 50
    assert info["window_start"] < info["window_end"]
    assert info["training_source"] == "scenario:demo:seed=7"
    assert "roc_auc" in info["metrics"]


def test_no_champion_is_404_and_decisions_are_degraded(client: TestClient, ctx: ApiContext) -> None:
    analyst = login(client, ctx, Role.analyst)
    response = client.get("/v1/models/champion", headers=analyst.headers)
    assert response.status_code == 404
    assert response.json()["field"] == "champion"
    listed = client.get("/v1/models", headers=analyst.headers).json()
    assert (listed["serving"], listed["versions"]) == (None, [])
    assert listed["problem"] == "no model has been promoted yet"


def test_a_refused_model_leaves_the_champion_serving(
    client: TestClient, ctx: ApiContext, served: Registry, service_headers: dict[str, str]
) -> None:
    risk = _risk(client, ctx)
    tampered = client.post(f"/v1/models/{served.tampered}/promote", headers=risk.headers)
    assert tampered.status_code == 409
    assert tampered.json()["code"] == "model_refused"
    assert "booster.ubj" in tampered.json()["detail"]
    wrong = client.post(f"/v1/models/{served.other_features}/promote", headers=risk.headers)
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "feature_set_mismatch"
    unknown = client.post("/v1/models/xgboost-0099-0123456789/promote", headers=risk.headers)
    assert unknown.status_code == 404
    as_challenger = client.post(f"/v1/models/{served.tampered}/challenger", headers=risk.headers)
    assert as_challenger.status_code == 409

    info = client.get("/v1/models/champion", headers=risk.headers).json()
    assert (info["version"], info["serving"]) == (served.champion, True)
    assert _post(client, service_headers, 1)["decision"]["model_version"] == served.champion
    assert ("model_promoted", "failure") in _audited(ctx)


def test_promote_rollback_and_challenger_swap_the_serving_model(
    client: TestClient, ctx: ApiContext, served: Registry, service_headers: dict[str, str]
) -> None:
    risk = _risk(client, ctx)
    assert _post(client, service_headers, 1)["decision"]["model_version"] == served.champion

    keyed = {**risk.headers, "Idempotency-Key": "promote-2"}
    promoted = client.post(f"/v1/models/{served.second}/promote", headers=keyed)
    assert promoted.status_code == 200
    assert promoted.json() == {
        "action": "promote",
        "version": served.second,
        "previous": served.champion,
        "serving": served.second,
    }
    replayed = client.post(f"/v1/models/{served.second}/promote", headers=keyed)
    assert replayed.json() == promoted.json()
    assert replayed.headers["idempotency-replayed"] == "true"
    assert _post(client, service_headers, 2)["decision"]["model_version"] == served.second
    again = client.post(f"/v1/models/{served.second}/promote", headers=risk.headers)
    assert again.status_code == 409  # already the champion

    rolled = client.post("/v1/models/rollback", headers=risk.headers)
    assert rolled.status_code == 200
    assert (rolled.json()["version"], rolled.json()["serving"]) == (
        served.champion,
        served.champion,
    )
    assert _post(client, service_headers, 3)["decision"]["model_version"] == served.champion
    assert client.post("/v1/models/rollback", headers=risk.headers).status_code == 409

    shadow = client.post(f"/v1/models/{served.second}/challenger", headers=risk.headers)
    assert shadow.status_code == 200
    shadowed = _post(client, service_headers, 4)["decision"]
    assert shadowed["challenger_probability"] is not None
    assert shadowed["model_version"] == served.champion
    assert client.get("/v1/models", headers=risk.headers).json()["challenger"] == served.second
    cleared = client.delete("/v1/models/challenger", headers=risk.headers)
    assert cleared.status_code == 200
    assert cleared.json()["previous"] == served.second
    assert _post(client, service_headers, 5)["decision"]["challenger_probability"] is None

    analyst = login(client, ctx, Role.analyst)
    assert client.post("/v1/models/rollback", headers=analyst.headers).status_code == 403
    done = {action for action, outcome in _audited(ctx) if outcome == "success"}
    assert {
        "model_promoted",
        "model_rolled_back",
        "model_challenger_set",
        "model_challenger_cleared",
    } <= done


def test_monitoring_parts_close_with_the_context(tmp_path: Path) -> None:
    from finmon.api.testing import make_context

    context = make_context(tmp_path)
    store = context.monitoring.decisions
    assert store.count() == 0
    context.close()


def test_a_rollback_to_a_refused_model_keeps_the_champion(
    client: TestClient, ctx: ApiContext, served: Registry, service_headers: dict[str, str]
) -> None:
    # An operator put a model for another feature set in the registry's history by hand.
    ctx.monitoring.registry.promote(served.other_features, author="someone")
    risk = _risk(client, ctx)
    assert (
        client.post(f"/v1/models/{served.champion}/promote", headers=risk.headers).status_code
        == 200
    )
    refused = client.post("/v1/models/rollback", headers=risk.headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "feature_set_mismatch"
    assert ctx.monitoring.registry.champion() == served.champion
    assert _post(client, service_headers, 1)["decision"]["model_version"] == served.champion
    assert ("model_rolled_back", "failure") in _audited(ctx)
