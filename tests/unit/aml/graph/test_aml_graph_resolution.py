"""Entity resolution: customers linked by what they share, with the evidence."""

from __future__ import annotations

import pyarrow as pa
import pytest
from aml_graph_helpers import frame, row

from finmon.aml.graph import TransactionGraph, resolve_entities
from finmon.core.errors import ValidationError


def test_a_shared_device_links_two_customers() -> None:
    rows = [
        row("1", 0, "A1", "debit", "5.00", merchant="M", customer="C1", device="DEV"),
        row("2", 9, "A2", "debit", "5.00", merchant="M", customer="C2", device="DEV"),
        row("3", 9, "A3", "debit", "5.00", merchant="M", customer="C3", device="OTHER"),
    ]
    [cluster] = resolve_entities(TransactionGraph.from_tables(frame(rows))).clusters
    assert cluster.customers == ("customer:C1", "customer:C2")
    [evidence] = cluster.evidence
    assert (evidence.attribute, evidence.kind) == ("device:DEV", "device")
    assert evidence.customers == ("customer:C1", "customer:C2")


def test_device_used_on_an_account_counts_for_its_owner() -> None:
    accounts = pa.table({"account_id": ["A1", "A2"], "customer_id": ["C1", "C2"]})
    rows = [  # no customer_id on the rows: owners come from the accounts file
        row("1", 0, "A1", "debit", "5.00", merchant="M", device="DEV"),
        row("2", 1, "A2", "debit", "5.00", merchant="M", device="DEV"),
    ]
    graph = TransactionGraph.from_tables(frame(rows), accounts=accounts)
    [cluster] = resolve_entities(graph).clusters
    assert cluster.customers == ("customer:C1", "customer:C2")


def test_phone_and_address_from_reference_chain_transitively() -> None:
    customers = pa.table(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "phone": ["+44 20 7946 0000", "+44-20-7946-0000", None, None],
            "address": [None, "1 High St, Leeds", "1 high st leeds", "9 Elm Rd"],
        }
    )
    graph = TransactionGraph()
    graph.add_customers(customers)
    [cluster] = resolve_entities(graph).clusters
    assert cluster.customers == ("customer:C1", "customer:C2", "customer:C3")
    assert {e.kind for e in cluster.evidence} == {"phone", "address"}


def test_weak_attributes_need_two_in_common() -> None:
    rows = [
        row("1", 0, "A1", "debit", "5.00", counterparty="LANDLORD", customer="C1", ip="1.1.1.1"),
        row("2", 0, "A2", "debit", "5.00", counterparty="LANDLORD", customer="C2", ip="2.2.2.2"),
        row("3", 0, "A3", "debit", "5.00", counterparty="LANDLORD", customer="C3", ip="2.2.2.2"),
    ]
    [cluster] = resolve_entities(TransactionGraph.from_tables(frame(rows))).clusters
    assert cluster.customers == ("customer:C2", "customer:C3")  # landlord + IP
    assert (
        len(
            resolve_entities(TransactionGraph.from_tables(frame(rows)), min_weak=1)
            .clusters[0]
            .customers
        )
        == 3
    )


def test_an_attribute_shared_by_too_many_identifies_nobody() -> None:
    rows = [
        row(str(i), 0, f"A{i}", "debit", "5.00", merchant="M", customer=f"C{i}", device="KIOSK")
        for i in range(12)
    ]
    result = resolve_entities(TransactionGraph.from_tables(frame(rows)), max_share=10)
    assert result.clusters == ()
    assert result.ignored == (("device:KIOSK", 12),)


def test_bad_parameters_name_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        resolve_entities(TransactionGraph(), kinds=["shoe_size"])
    assert info.value.field == "kinds"
    with pytest.raises(ValidationError) as share:
        resolve_entities(TransactionGraph(), max_share=1)
    assert share.value.field == "max_share"
