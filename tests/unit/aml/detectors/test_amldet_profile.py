"""Mule networks, dormant reactivation, high-risk jurisdictions, sanctioned counterparties."""

from __future__ import annotations

from amldet_stream import ids, leg, receive, run

from finmon.aml.detectors import (
    AmlContext,
    DormantReactivationDetector,
    ExactNameMatcher,
    HighRiskJurisdictionDetector,
    MuleNetworkDetector,
    SanctionedCounterpartyDetector,
    normalise_name,
)

# -- mules --------------------------------------------------------------------


def test_mule_network_accounts_forwarding_to_one_herder() -> None:
    txns = []
    for i in range(3):
        txns.append(receive(f"MU{i}", f"VICTIM{i}", 1_200, i * 5))
        txns.append(leg(f"MU{i}", "debit", 1_050, i * 5 + 3, cp="HERDER"))
    (found,) = run(MuleNetworkDetector(), txns)
    assert {"MU0", "MU1", "MU2"} <= set(found.account_ids)
    assert set(found.transaction_ids) == ids(txns)


def test_mule_accounts_sharing_a_device_and_cashing_out() -> None:
    txns = [
        receive("MA", "V1", 900, 0),
        leg("MA", "debit", 800, 2, channel="atm", device="DEV-1"),
        leg("MA", "debit", 50, 2.5, cp="SHOP-FRIEND", device="DEV-1"),
        receive("MB", "V2", 700, 10),
        leg("MB", "debit", 650, 11, cp="SOMEONE", device="DEV-1"),
    ]
    findings = run(MuleNetworkDetector(), txns)
    assert findings
    assert {"MA", "MB"} <= set(findings[-1].account_ids)


def test_mule_look_alike_tenants_paying_one_landlord_part_of_their_pay() -> None:
    txns = []
    for i in range(4):
        txns.append(receive(f"TEN{i}", f"EMPLOYER{i}", 3_000, i))
        txns.append(leg(f"TEN{i}", "debit", 1_200, i + 2, cp="LANDLORD"))
    assert run(MuleNetworkDetector(), txns) == []


def test_mules_are_not_business_accounts() -> None:
    context = AmlContext(customer_kind={f"C-BIZ{i}": "business" for i in range(3)})
    txns = []
    for i in range(3):
        txns.append(receive(f"BIZ{i}", f"CLIENT{i}", 1_200, i))
        txns.append(leg(f"BIZ{i}", "debit", 1_100, i + 1, cp="SUPPLIER"))
    assert run(MuleNetworkDetector(context=context), txns) == []


# -- dormant ------------------------------------------------------------------


def test_dormant_account_wakes_to_pass_a_large_sum_through() -> None:
    context = AmlContext(dormant_accounts=frozenset({"SLEEPY"}))
    txns = [
        receive("SLEEPY", "SRC", 25_000, 0, channel="wire"),
        leg("SLEEPY", "debit", 24_000, 10, cp="EXIT", channel="wire"),
    ]
    (found,) = run(DormantReactivationDetector(context=context), txns)
    assert set(found.transaction_ids) == ids(txns)
    assert found.detected_at == txns[1].occurred_us


def test_dormant_look_alikes() -> None:
    context = AmlContext(dormant_accounts=frozenset({"BACK", "KEEPS"}))
    back = [receive("BACK", "AUNT", 150, 0), leg("BACK", "debit", 100, 2, cp="SHOP")]
    keeps = [receive("KEEPS", "ESTATE", 40_000, 0)]  # an inheritance kept
    active = [receive("ACTIVE", "SRC", 25_000, 0), leg("ACTIVE", "debit", 24_000, 3, cp="X")]
    assert run(DormantReactivationDetector(context=context), back + keeps + active) == []


def test_dormant_by_silence_observed_on_the_stream() -> None:
    txns = [
        leg("QUIET", "debit", 20, 0, cp="SHOP"),
        receive("QUIET", "SRC", 9_000, 24 * 100),
        leg("QUIET", "debit", 8_800, 24 * 100 + 5, cp="EXIT"),
    ]
    (found,) = run(DormantReactivationDetector(), txns)
    assert "silent for at least 100 days" in found.narrative


# -- high-risk jurisdictions --------------------------------------------------


def test_high_risk_jurisdiction_repeated_wires() -> None:
    txns = [
        leg("J1", "debit", 2_500, 0, cp="NG-1", country="NG", channel="wire"),
        leg("J1", "debit", 3_100, 48, cp="NG-2", country="NG", channel="wire"),
    ]
    (found,) = run(HighRiskJurisdictionDetector(), txns)
    assert set(found.transaction_ids) == ids(txns)
    assert "NG" in found.narrative


def test_high_risk_jurisdiction_look_alikes() -> None:
    context = AmlContext(customer_kind={"C-TRADER": "business"})
    remittance = [leg("R1", "debit", 400, h, cp="NG", country="NG") for h in (0, 300, 600)]
    low_risk = [leg("R2", "debit", 20_000, 0, cp="FR", country="FR")]
    trader = [
        leg("TRADER", "debit", 30_000, h, cp="VN-SUP", country="VN", customer="C-TRADER")
        for h in (0, 100)
    ]
    assert run(HighRiskJurisdictionDetector(context=context), remittance + low_risk + trader) == []


def test_high_risk_jurisdiction_black_list_counts_for_a_business() -> None:
    context = AmlContext(customer_kind={"C-TRADER": "business"})
    txns = [leg("TRADER", "debit", 15_000, 0, cp="KP-1", country="KP", customer="C-TRADER")]
    assert len(run(HighRiskJurisdictionDetector(context=context), txns)) == 1


# -- sanctions ----------------------------------------------------------------


def test_normalise_name() -> None:
    assert normalise_name("  Banco  Nacional de CUBA, S.A. ") == "banco nacional de cuba s a"
    assert normalise_name("Jos\u00e9 \u00c1lvarez") == "jose alvarez"
    assert normalise_name("\u0418\u0432\u0430\u043d") == "\u0438\u0432\u0430\u043d"  # kept


def test_sanctioned_counterparty_exact_normalised_and_reordered() -> None:
    detector = SanctionedCounterpartyDetector(names=["BANCO NACIONAL DE CUBA", "KIM Jong Un"])
    txns = [
        leg("P1", "debit", 5_000, 0, cp="X", name="Banco Nacional de Cuba"),
        leg("P1", "debit", 700, 10, cp="X", name="banco nacional de cuba."),
        leg("P2", "debit", 100, 0, cp="Y", name="Jong Un Kim"),
        leg("P3", "debit", 100, 0, cp="Z", name="Banco Nacional de Chile"),
    ]
    findings = run(detector, txns)
    assert len(findings) == 2  # P1's two payments are one finding
    by_account = {f.account_ids[0]: f for f in findings}
    assert len(by_account["P1"].transaction_ids) == 2
    assert by_account["P1"].score == 100
    assert by_account["P2"].score == 95


def test_sanctioned_counterparty_uses_the_screening_hook() -> None:
    seen: list[str] = []

    def matcher(name: str) -> float | None:
        seen.append(name)
        return 92.0 if "acme" in name.lower() else None

    detector = SanctionedCounterpartyDetector(name_matcher=matcher)
    txns = [
        leg("P1", "debit", 100, 0, cp="X", name="ACME Trading"),
        leg("P1", "debit", 100, 1, cp="Y", name="Other"),
    ]
    (found,) = run(detector, txns)
    assert found.score == 92
    assert seen == ["ACME Trading", "Other"]
    assert len(ExactNameMatcher(["A B", "a  b", ""])) == 1


def test_mule_forward_is_capped_by_what_came_in() -> None:
    """A friend's 800 then a 2,500 rent payment: the rent is not the 800 passed on."""
    txns = []
    for i in range(4):
        txns.append(receive(f"FR{i}", f"FRIEND{i}", 800, i))
        txns.append(leg(f"FR{i}", "debit", 2_500, i + 5, cp="LETTINGS"))
    assert run(MuleNetworkDetector(), txns) == []
