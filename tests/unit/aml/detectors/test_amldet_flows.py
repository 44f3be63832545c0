"""Structuring, rapid movement, fan-in and fan-out on hand-built streams."""

from __future__ import annotations

from amldet_stream import DAY, ids, leg, pay, receive, run

from finmon.aml.detectors import (
    AmlContext,
    FanInDetector,
    FanOutDetector,
    RapidMovementDetector,
    StructuringDetector,
)
from finmon.monitor.transaction import Txn

BUSINESS = AmlContext(customer_kind={"C-shop": "business", "C-corp": "business"})


def _cash(account: str, dollars: float, hours: float, customer: str, lat: float = 40.0) -> Txn:
    return leg(
        account, "credit", dollars, hours, channel="cash_deposit", customer=customer, lat=lat
    )


# -- structuring ---------------------------------------------------------------


def test_structuring_fires_on_sub_threshold_cash_over_days_and_accounts() -> None:
    txns = [
        _cash("A1", 9_400, 0, "C-s", 40.0),
        _cash("A2", 8_900, 30, "C-s", 40.1),  # another account of the same customer
        _cash("A1", 9_700, 60, "C-s", 40.2),
    ]
    (found,) = run(StructuringDetector(), txns)
    assert found.typology == "structuring"
    assert set(found.transaction_ids) == ids(txns)
    assert set(found.account_ids) == {"A1", "A2"}
    assert found.detected_at == txns[-1].occurred_us
    assert found.first_event_at == txns[0].occurred_us
    assert 0 <= found.score <= 100
    assert "3 cash amounts" in found.narrative


def test_structuring_ignores_reportable_and_small_cash_and_spread_out_deposits() -> None:
    big = [_cash("A1", 12_000, h, "C-s") for h in (0, 30, 60)]  # reported anyway
    small = [_cash("A2", 900, h, "C-t") for h in (0, 30, 60)]  # far below
    spread = [_cash("A3", 9_000, d * 24 * 8, "C-u") for d in range(3)]  # 16 days: window edge
    assert run(StructuringDetector(), big + small + spread) == []


def test_structuring_business_routine_is_not_a_surge() -> None:
    """A cash business banks takings every day; only a surge over its own routine counts."""
    routine = [_cash("S1", 6_000, d * 24 + h, "C-shop") for d in range(30) for h in (9, 15)]
    assert run(StructuringDetector(context=BUSINESS), routine) == []


def test_structuring_one_finding_extended_by_later_deposits() -> None:
    txns = [_cash("A1", 9_000 + i, i * 20, "C-s") for i in range(6)]
    findings = run(StructuringDetector(), txns)
    assert len(findings) == 1
    assert set(findings[0].transaction_ids) == ids(txns)
    assert findings[0].detected_at == txns[1].occurred_us  # two within 24 h: same-day rule
    assert findings[0].finding_id.startswith("aml-structuring-")


# -- rapid movement -----------------------------------------------------------


def test_rapid_movement_in_and_out_within_hours() -> None:
    txns = [
        receive("M1", "EXT-SRC", 20_000, 0, channel="wire"),
        leg("M1", "debit", 12_000, 3, cp="EXT-A", channel="wire"),
        leg("M1", "debit", 7_000, 5, cp="EXT-B", channel="wire"),
    ]
    (found,) = run(RapidMovementDetector(), txns)
    assert set(found.transaction_ids) == ids(txns)
    assert found.account_ids == ("M1",)


def test_rapid_movement_salary_then_rent_is_in_profile() -> None:
    """Payroll in, rent out: within a month's declared income, it is the customer's money."""
    context = AmlContext(monthly_income_minor={"C-P1": 600_000})
    txns = [
        receive("P1", "EMPLOYER", 4_500, 0, channel="ach"),
        leg("P1", "debit", 4_000, 2, cp="LANDLORD", channel="ach"),
    ]
    assert run(RapidMovementDetector(context=context), txns) == []


def test_rapid_movement_needs_the_outflow_within_the_hold_and_matching() -> None:
    late = [
        receive("M1", "X", 20_000, 0),
        leg("M1", "debit", 19_000, 60, cp="Y"),  # 60 h > 48 h
    ]
    turnover = [
        receive("M2", "X", 5_000, 0),
        leg("M2", "debit", 50_000, 2, cp="Y"),  # pays out ten times what came in
    ]
    assert run(RapidMovementDetector(), late + turnover) == []


def test_rapid_movement_chain_is_one_finding() -> None:
    txns = [
        receive("H1", "SRC", 30_000, 0),
        *pay("H1", "H2", 29_000, 4),
        *pay("H2", "H3", 28_000, 9),
        leg("H3", "debit", 27_000, 12, cp="EXIT", channel="wire"),
    ]
    (found,) = run(RapidMovementDetector(), txns)
    assert {"H1", "H2", "H3"} <= set(found.account_ids)


# -- fan-in / fan-out ---------------------------------------------------------


def test_fan_in_many_senders_into_a_personal_account() -> None:
    txns = [receive("F1", f"S{i}", 800, i * 10) for i in range(12)]
    (found,) = run(FanInDetector(), txns)
    assert len(found.transaction_ids) >= 10
    assert "distinct senders" in found.narrative


def test_fan_in_senders_spread_beyond_the_window_do_not_count() -> None:
    txns = [receive("F1", f"S{i}", 800, i * 24) for i in range(12)]  # one a day: 7 per window
    assert run(FanInDetector(), txns) == []


def test_fan_in_merchant_takings_are_in_a_business_profile() -> None:
    """A business paid by the same customers week after week is not collecting proceeds."""
    txns = [
        receive("B1", f"PAYER{i}", 300, week * 7 * 24 + i, customer="C-shop")
        for week in range(4)
        for i in range(30)
    ]
    assert run(FanInDetector(context=BUSINESS), txns) == []


def test_fan_out_to_many_receivers_and_payroll_look_alike() -> None:
    laundering = [leg("O1", "debit", 700, i * 5, cp=f"R{i}") for i in range(12)]
    payroll = [
        leg("P1", "debit", 2_500, (week * 14) * 24 + i, cp=f"EMP{i}", customer="C-corp")
        for week in range(3)
        for i in range(25)
    ]
    findings = run(FanOutDetector(context=BUSINESS), laundering + payroll)
    assert [f.account_ids[0] for f in findings] == ["O1"]


def test_fan_out_window_edge() -> None:
    inside = [leg("O1", "debit", 700, i * 16, cp=f"R{i}") for i in range(10)]  # 6 days
    outside = [leg("O2", "debit", 700, i * 19, cp=f"R{i}") for i in range(10)]  # 7.1 days
    findings = run(FanOutDetector(), inside + outside)
    assert [f.account_ids[0] for f in findings] == ["O1"]
    assert DAY > 0
