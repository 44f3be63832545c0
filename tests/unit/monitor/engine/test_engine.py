"""The scoring engine: combination, explanations, degradation, bad input, and parity with
the column-wise evaluation path (the same decisions whether streamed or backfilled)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from monitored_bank import MonitoredBank

from finmon.core.errors import Problem
from finmon.monitor import service
from finmon.monitor.engine import (
    Engine,
    EngineConfig,
    alert_id_for,
    combine,
    combine_scores,
)
from finmon.monitor.features import OnlineFeatures
from finmon.monitor.policy import DEFAULT_POLICY
from finmon.monitor.rules import default_ruleset
from finmon.monitor.transaction import Txn, iter_table


def _txns(bank: MonitoredBank) -> list[Txn]:
    return list(iter_table(bank.scored.transactions))


def _engine(bank: MonitoredBank, *, model: bool = True, **config: int) -> Engine:
    return Engine(
        OnlineFeatures(bank.scored.reference),
        default_ruleset(),
        bank.trained.model if model else None,
        config=EngineConfig(**config) if config else None,
    )


class BrokenModel:
    """A model that fails at prediction: fault injection for the degradation path."""

    version = "broken-1"
    feature_names: tuple[str, ...] = ()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        raise RuntimeError("booster file unreadable")

    def contributions(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        raise RuntimeError("booster file unreadable")


def test_combination_is_monotone_and_bounded() -> None:
    assert combine(None, 35) == 35  # rules alone: the points
    assert combine(0.5, 0) == 50
    assert combine(0.5, 25) > combine(0.5, 0)  # rules raise the model's odds
    assert combine(0.01, 10) < 10  # a weak rule nudges, it does not drown the model
    assert combine(0.01, 10, floor=55) == 55  # a critical rule's floor holds
    assert combine(0.999999, 100) == 100
    p = np.linspace(0, 1, 21)
    for points in (0, 10, 50, 100):
        scores = combine_scores(p, np.full(21, points), np.zeros(21))
        assert np.all(np.diff(scores) >= 0)
        assert scores.min() >= 0
        assert scores.max() <= 100


def test_every_transaction_gets_one_decision_in_order(bank: MonitoredBank) -> None:
    txns = _txns(bank)[:1500]
    decisions = _engine(bank).score_many(txns)
    assert [d.transaction_id for d in decisions] == [t.transaction_id for t in txns]
    assert all(0 <= d.score <= 100 for d in decisions)
    assert not any(d.degraded for d in decisions)
    assert {d.model_version for d in decisions} == {bank.trained.version.version}


def test_batching_does_not_change_answers(bank: MonitoredBank) -> None:
    txns = _txns(bank)[:800]
    roomy = 60_000_000  # the latency budget is not under test here: never degrade
    whole = _engine(bank, latency_budget_us=roomy).score_many(txns)
    one_by_one_engine = _engine(bank, latency_budget_us=roomy)
    single = [one_by_one_engine.score(t) for t in txns]
    assert [(d.score, d.outcome, d.rule_hits) for d in whole] == [
        (d.score, d.outcome, d.rule_hits) for d in single
    ]


def test_alerts_carry_reasons_rules_first_then_features(bank: MonitoredBank) -> None:
    decisions = _engine(bank).score_many(_txns(bank))
    alerted = [d for d in decisions if d.outcome != "approve"]
    assert alerted, "the scenario holds fraud; some transactions must be alerted"
    for d in alerted:
        assert d.alert_id == alert_id_for(d.transaction_id)
        assert d.reasons, d
        kinds = [r.kind for r in d.reasons]
        assert kinds == sorted(kinds, key=lambda k: k != "rule")  # rules before features
        for reason in d.reasons:
            if reason.kind == "feature":
                assert reason.weight > 0
                assert reason.code in bank.trained.model.feature_names
    approved = [d for d in decisions if d.outcome == "approve"]
    assert all(d.alert_id is None for d in approved)
    assert all(r.kind != "feature" for d in approved for r in d.reasons)


def test_without_a_model_decisions_rest_on_rules_and_say_degraded(bank: MonitoredBank) -> None:
    engine = _engine(bank, model=False)
    decisions = engine.score_many(_txns(bank)[:500])
    assert all(d.degraded for d in decisions)
    assert all(d.model_probability is None for d in decisions)
    assert engine.degraded_count == 500


def test_a_failing_model_degrades_instead_of_dropping(bank: MonitoredBank) -> None:
    engine = Engine(OnlineFeatures(bank.scored.reference), default_ruleset(), BrokenModel())
    decisions = engine.score_many(_txns(bank)[:200])
    assert len(decisions) == 200
    assert all(d.degraded for d in decisions)
    assert engine.model_failures == 1


def test_a_spent_latency_budget_skips_the_model(bank: MonitoredBank) -> None:
    engine = _engine(bank, latency_budget_us=0)
    decisions = engine.score_many(_txns(bank)[:50])
    assert all(d.degraded for d in decisions)
    passed = _engine(bank).score_many(_txns(bank)[:50], deadline_us=0)  # deadline long gone
    assert all(d.degraded for d in passed)


def test_invalid_input_goes_to_review_naming_the_field(bank: MonitoredBank) -> None:
    engine = _engine(bank)
    problems = [Problem("amount", "has more decimal places than USD allows")]
    decision = engine.invalid("tx-bad", problems, occurred_us=5)
    assert decision.outcome == "review"
    assert decision.reasons[0].text.startswith("invalid input: amount")
    assert decision.alert_id == alert_id_for("tx-bad")
    assert "invalid_input" in decision.tags


def test_critical_rule_floors_the_score(bank: MonitoredBank) -> None:
    txn = _txns(bank)[0]
    sanctioned = replace(
        txn,
        direction="debit",
        channel="wire",
        counterparty_country="KP",
        counterparty_account_id="KP00X",
        merchant_id=None,
    )
    decision = _engine(bank).score(sanctioned)
    assert "sanctioned-jurisdiction" in decision.rule_hits
    assert decision.score >= 60
    assert decision.outcome in ("review", "block")


def test_streamed_decisions_equal_the_backfilled_evaluation(bank: MonitoredBank) -> None:
    """The engine (online features, per-row rules) and the evaluation path (offline
    features, column-wise rules) give every transaction the same score."""
    engine = _engine(bank, latency_budget_us=60_000_000)
    streamed = np.array([d.score for d in service.score_decisions(bank.scored, engine)])
    feats = service.feature_frame(bank.scored)
    points, floor = service.rule_points(default_ruleset(), feats.frame)
    model = bank.trained.model
    probability = model.predict_proba(feats.matrix[:, service.model_columns(model.feature_names)])
    batch = combine_scores(probability, points, floor)
    assert streamed.shape == batch.shape
    mismatches = np.flatnonzero(np.abs(streamed - batch) > 0)
    assert mismatches.size == 0, f"{mismatches.size} scores differ, first at {mismatches[:5]}"


def test_policy_outcomes_follow_scores(bank: MonitoredBank) -> None:
    for d in _engine(bank).score_many(_txns(bank)[:1000]):
        assert d.outcome == DEFAULT_POLICY.outcome(d.score, None) or d.outcome in (
            "review",
            "block",
        )


@pytest.mark.parametrize("explain_all", [True, False])
def test_explain_all_explains_approvals_too(bank: MonitoredBank, explain_all: bool) -> None:
    decisions = _engine(bank, explain_all=explain_all).score_many(_txns(bank)[:300])
    approved = [d for d in decisions if d.outcome == "approve"]
    with_features = [d for d in approved if any(r.kind == "feature" for r in d.reasons)]
    assert bool(with_features) == explain_all


def test_the_pipeline_exports_drift_against_the_training_sample(bank: MonitoredBank) -> None:
    from prometheus_client import CollectorRegistry

    from finmon.events.inprocess_bus import InProcessBus
    from finmon.monitor.pipeline import DecisionStore, MonitorPipeline
    from finmon.sources.events import TRANSACTIONS_TOPIC, transaction_envelopes

    engine, champion = service.build_engine(bank.settings, bank.scored)
    assert champion.model is not None
    assert engine.drift is not None
    bus = InProcessBus(partitions=1)
    registry = CollectorRegistry()
    store = DecisionStore(bank.settings.data_dir / "drift-decisions.db")
    pipeline = MonitorPipeline(bus, engine, store, registry=registry)
    rows = bank.scored.transactions.slice(0, 1500).to_pylist()
    bus.publish_many(
        TRANSACTIONS_TOPIC,
        transaction_envelopes([{k: v for k, v in r.items() if v is not None} for r in rows]),
    )
    assert pipeline.run_until_idle() == 1500
    pipeline.check_drift()
    value = registry.get_sample_value("finmon_model_psi", {"feature": "score"})
    assert value is not None
    assert value >= 0
    pipeline.close()
    store.close()


def test_inline_screening_blocks_a_listed_counterparty(bank: MonitoredBank) -> None:
    """A counterparty the screener matches is a critical hit: explained, and blocked by
    the default policy whatever the model thinks; unlisted names are untouched."""
    from finmon.monitor.engine import SANCTIONS_RULE_ID

    def matcher(name: str) -> float | None:
        return 93.0 if name.lower().startswith("banco nacional de cuba") else None

    engine = Engine(
        OnlineFeatures(bank.scored.reference),
        default_ruleset(),
        bank.trained.model,
        sanctions=matcher,
    )
    txn = _txns(bank)[0]
    listed = replace(txn, counterparty_name="Banco Nacional de Cuba", counterparty_country="US")
    plain = replace(txn, transaction_id="tx-plain", counterparty_name="Corner Bakery")
    hit, clean = engine.score_many([listed, plain])
    assert SANCTIONS_RULE_ID in hit.rule_hits
    assert hit.outcome == "block"
    assert hit.reasons[0].code == SANCTIONS_RULE_ID
    assert "sanctions" in hit.tags
    assert SANCTIONS_RULE_ID not in clean.rule_hits


def test_the_backfill_path_screens_each_distinct_name_once() -> None:
    calls: list[str] = []

    def matcher(name: str) -> float | None:
        calls.append(name)
        return 99.0 if name == "Listed Co" else None

    mask = service.sanctions_mask(["Listed Co", None, "Other", "Listed Co", ""], matcher)
    assert mask.tolist() == [True, False, False, True, False]
    assert sorted(calls) == ["Listed Co", "Other"]
