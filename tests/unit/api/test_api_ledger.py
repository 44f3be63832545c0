"""/v1/ledger: accounts, transfers, holds, reversals, reports, reconciliation, verify."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import api_key, login
from finmon.core.clock import SimulatedClock

L = "/v1/ledger"
ALICE = "liabilities:deposits:alice"
BOB = "liabilities:deposits:bob"
CASH = "assets:cash"


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def move(debit: str, credit: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "postings": [
            {"account": debit, "amount": usd(amount)},
            {"account": credit, "amount": usd(f"-{amount}")},
        ],
        **extra,
    }


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


@pytest.fixture
def admin(client: TestClient, ctx: ApiContext) -> dict[str, str]:
    return login(client, ctx, Role.admin).headers


@pytest.fixture
def service(ctx: ApiContext) -> dict[str, str]:
    return {"X-API-Key": api_key(ctx, Role.service)}


@pytest.fixture
def books(client: TestClient, admin: dict[str, str]) -> dict[str, str]:
    """Cash, Alice (no overdraft) and Bob; Alice holds 100.00 USD."""
    for body in (
        {"id": CASH, "type": "asset", "currency": "USD"},
        {
            "id": ALICE,
            "type": "liability",
            "currency": "USD",
            "overdraft_limit": usd("0"),
            "debits_must_not_exceed_credits": True,
            "name": "Alice",
        },
        {"id": BOB, "type": "liability", "currency": "USD"},
    ):
        response = client.post(f"{L}/accounts", json=body, headers=admin)
        assert response.status_code == 201, response.text
    response = client.post(
        f"{L}/transfers", json=move(CASH, ALICE, "100.00"), headers={**admin, **key("dep-1")}
    )
    assert response.status_code == 201, response.text
    return admin


def balance(client: TestClient, headers: dict[str, str], account: str, **params: Any) -> Any:
    response = client.get(f"{L}/accounts/{account}/balance", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


# -- accounts -----------------------------------------------------------------


def test_open_list_get_and_lifecycle(client: TestClient, books: dict[str, str]) -> None:
    listed = client.get(f"{L}/accounts", headers=books).json()["items"]
    assert [a["id"] for a in listed] == [CASH, ALICE, BOB]
    alice = client.get(f"{L}/accounts/{ALICE}", headers=books).json()
    assert alice["overdraft_limit"] == "0.00"
    assert alice["flags"] == ["debits_must_not_exceed_credits"]
    assert alice["normal_side"] == "credit"
    assert alice["balance"]["posted"] == "100.00"

    frozen = client.post(f"{L}/accounts/{BOB}/freeze", headers=books)
    assert frozen.status_code == 201, frozen.text
    assert frozen.json()["account"]["status"] == "frozen"
    problem(client.post(f"{L}/accounts/{BOB}/freeze", headers=books), 409)
    unfrozen = client.post(f"{L}/accounts/{BOB}/unfreeze", headers=books)
    assert unfrozen.json()["account"]["status"] == "open"
    closed = client.post(f"{L}/accounts/{BOB}/close", headers=books)
    assert closed.json()["account"]["status"] == "closed"
    # Closing needs a zero balance; closed is final.
    problem(client.post(f"{L}/accounts/{ALICE}/close", headers=books), 409)
    problem(client.post(f"{L}/accounts/{BOB}/unfreeze", headers=books), 409)
    problem(client.post(f"{L}/accounts/nope/freeze", headers=books), 404)
    problem(client.get(f"{L}/accounts/nope", headers=books), 404)


def test_opening_twice_replays_and_another_definition_conflicts(
    client: TestClient, books: dict[str, str]
) -> None:
    again = client.post(
        f"{L}/accounts", json={"id": CASH, "type": "asset", "currency": "USD"}, headers=books
    )
    assert again.status_code == 200
    assert again.headers["Idempotency-Replayed"] == "true"
    other = {"id": CASH, "type": "asset", "currency": "EUR"}
    problem(client.post(f"{L}/accounts", json=other, headers=books), 409)


def test_bad_account_definitions(client: TestClient, admin: dict[str, str]) -> None:
    bad_limit = {"id": "x", "type": "asset", "currency": "USD", "overdraft_limit": usd("1.001")}
    assert problem(client.post(f"{L}/accounts", json=bad_limit, headers=admin), 422)[
        "field"
    ].startswith("overdraft_limit")
    other_ccy = {
        "id": "x",
        "type": "asset",
        "currency": "USD",
        "overdraft_limit": {"amount": "1", "currency": "EUR"},
    }
    problem(client.post(f"{L}/accounts", json=other_ccy, headers=admin), 422)
    bad_type = {"id": "x", "type": "cash", "currency": "USD"}
    assert problem(client.post(f"{L}/accounts", json=bad_type, headers=admin), 422)["field"] == (
        "type"
    )


# -- transfers ------------------------------------------------------------------


def test_transfer_balances_statement_and_idempotency(
    client: TestClient, books: dict[str, str]
) -> None:
    body = move(ALICE, BOB, "30.25", memo="rent")
    first = client.post(f"{L}/transfers", json=body, headers={**books, **key("pay-1")})
    assert first.status_code == 201, first.text
    receipt = first.json()
    assert receipt["accepted"] is True
    assert receipt["replayed"] is False
    assert receipt["kind"] == "transfer"
    # Same key, same body: the first receipt again, nothing moves twice.
    again = client.post(f"{L}/transfers", json=body, headers={**books, **key("pay-1")})
    assert again.status_code == 200
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json()["transfer_id"] == receipt["transfer_id"]
    assert again.json()["replayed"] is True
    # Same key, another body: 409 and still nothing moved.
    other = move(ALICE, BOB, "31.00")
    problem(client.post(f"{L}/transfers", json=other, headers={**books, **key("pay-1")}), 409)
    assert balance(client, books, ALICE)["posted"] == "69.75"
    assert balance(client, books, BOB)["posted"] == "30.25"

    # As of a past sequence number, and at a time before anything happened.
    assert balance(client, books, ALICE, as_of_seq=receipt["seq"] - 1)["posted"] == "100.00"
    assert balance(client, books, ALICE, at="2000-01-01T00:00:00Z")["posted"] == "0.00"
    both = client.get(
        f"{L}/accounts/{ALICE}/balance",
        params={"as_of_seq": 1, "at": "2026-01-01T00:00:00Z"},
        headers=books,
    )
    problem(both, 422)
    naive = client.get(
        f"{L}/accounts/{ALICE}/balance", params={"at": "2026-01-01T00:00:00"}, headers=books
    )
    problem(naive, 422)

    statement = client.get(f"{L}/accounts/{ALICE}/statement", headers=books).json()
    assert statement["opening"]["posted"] == "0.00"
    assert statement["closing"]["posted"] == "69.75"
    assert [line["balance"] for line in statement["lines"]] == ["100.00", "69.75"]
    tail = client.get(
        f"{L}/accounts/{ALICE}/statement", params={"from_seq": receipt["seq"]}, headers=books
    ).json()
    assert tail["opening"]["posted"] == "100.00"
    assert len(tail["lines"]) == 1
    problem(
        client.get(
            f"{L}/accounts/{ALICE}/statement", params={"from_seq": 5, "to_seq": 2}, headers=books
        ),
        422,
    )


def test_service_key_moves_money_but_does_not_change_the_chart(
    client: TestClient, books: dict[str, str], service: dict[str, str]
) -> None:
    response = client.post(
        f"{L}/transfers", json=move(ALICE, BOB, "1.00"), headers={**service, **key("svc-1")}
    )
    assert response.status_code == 201, response.text
    opened = client.post(
        f"{L}/accounts", json={"id": "x", "type": "asset", "currency": "USD"}, headers=service
    )
    problem(opened, 403)
    problem(client.post(f"{L}/accounts/{BOB}/freeze", headers=service), 403)
    # Reads are for people: the service key has no ledger:read.
    problem(client.get(f"{L}/accounts", headers=service), 403)


@pytest.mark.parametrize("role", [Role.analyst, Role.risk_officer, Role.auditor])
def test_readers_read_but_may_not_move_money(
    client: TestClient, ctx: ApiContext, books: dict[str, str], role: Role
) -> None:
    headers = login(client, ctx, role).headers
    assert client.get(f"{L}/accounts/{ALICE}/balance", headers=headers).status_code == 200
    assert client.get(f"{L}/reports/trial-balance", headers=headers).status_code == 200
    denied = client.post(
        f"{L}/transfers", json=move(ALICE, BOB, "1.00"), headers={**headers, **key("x-1")}
    )
    assert problem(denied, 403)["field"] == "authorization"
    problem(client.post(f"{L}/accounts/{BOB}/freeze", headers=headers), 403)
    assert balance(client, books, BOB)["posted"] == "0.00"


def test_no_credentials_is_401(client: TestClient, books: dict[str, str]) -> None:
    problem(client.post(f"{L}/transfers", json=move(ALICE, BOB, "1.00"), headers=key("k")), 401)
    problem(client.get(f"{L}/accounts/{ALICE}/balance"), 401)
    problem(client.get(f"{L}/verify"), 401)


def _rejections(ctx: ApiContext) -> list[dict[str, Any]]:
    found = []
    for rows in ctx.ledger.log.store.read(1):
        for row in rows:
            event = orjson.loads(row[2])
            if event["type"] == "ledger.transfer.rejected":
                found.append(event["payload"])
    return found


def test_bad_transfers_are_refused_whole_and_audited(
    client: TestClient, ctx: ApiContext, books: dict[str, str]
) -> None:
    def post(body: dict[str, Any], k: str) -> Any:
        return client.post(f"{L}/transfers", json=body, headers={**books, **key(k)})

    unbalanced = {
        "postings": [
            {"account": ALICE, "amount": usd("10.00")},
            {"account": BOB, "amount": usd("-9.99")},
        ]
    }
    assert problem(post(unbalanced, "bad-1"), 422)["errors"]
    unknown = problem(post(move("liabilities:nobody", BOB, "1.00"), "bad-2"), 422)
    assert "liabilities:nobody" in unknown["detail"]
    overdraft = problem(post(move(ALICE, BOB, "100.01"), "bad-3"), 422)
    assert ALICE in overdraft["detail"]

    client.post(f"{L}/accounts/{BOB}/freeze", headers=books)
    frozen = problem(post(move(ALICE, BOB, "1.00"), "bad-4"), 422)
    assert BOB in frozen["detail"]
    assert "frozen" in frozen["detail"]
    client.post(f"{L}/accounts/{BOB}/unfreeze", headers=books)
    client.post(f"{L}/accounts/{BOB}/close", headers=books)
    closed = problem(post(move(ALICE, BOB, "1.00"), "bad-5"), 422)
    assert "closed" in closed["detail"]

    # Floats never reach an amount: 422 naming the field, before the ledger sees it.
    floats = move(ALICE, CASH, "1.00")
    floats["postings"][0]["amount"]["amount"] = 1.5
    assert problem(post(floats, "bad-6"), 422)["field"] == "postings.0.amount.amount"
    # More decimals than the currency has: refused, never rounded, and journaled.
    precise = problem(post(move(ALICE, CASH, "1.001"), "bad-7"), 422)
    assert precise["field"] == "postings.0.amount"
    assert ALICE in precise["detail"]
    missing = client.post(f"{L}/transfers", json=move(ALICE, CASH, "1.00"), headers=books)
    assert problem(missing, 422)["field"] == "Idempotency-Key"

    assert balance(client, books, ALICE)["posted"] == "100.00"
    audited = {payload["key"] for payload in _rejections(ctx)}
    assert {"bad-1", "bad-2", "bad-3", "bad-4", "bad-5", "bad-7"} <= audited
    # A refused key is not consumed: the corrected transfer goes through under it.
    fixed = post(move(ALICE, CASH, "1.00"), "bad-7")
    assert fixed.status_code == 201, fixed.text


def test_batch_accepts_and_rejects_each_on_its_own(
    client: TestClient, books: dict[str, str]
) -> None:
    body = {
        "transfers": [
            {"key": "b-1", **move(ALICE, BOB, "10.00")},
            {"key": "b-2", **move(ALICE, BOB, "500.00")},
            {"key": "b-3", **move(ALICE, BOB, "1.234")},
            {"key": "b-4", **move(ALICE, BOB, "5.00")},
        ]
    }
    response = client.post(f"{L}/transfers/batch", json=body, headers=books)
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["accepted"], result["rejected"]) == (2, 2)
    outcomes = result["outcomes"]
    assert [o["key"] for o in outcomes] == ["b-1", "b-2", "b-3", "b-4"]
    assert [o["accepted"] for o in outcomes] == [True, False, False, True]
    assert outcomes[1]["problems"][0]["field"]
    assert outcomes[2]["problems"][0]["field"] == "transfers.2.postings.0.amount"
    assert balance(client, books, BOB)["posted"] == "15.00"
    # Sent again: the accepted ones replay, nothing moves twice.
    again = client.post(f"{L}/transfers/batch", json=body, headers=books).json()
    assert [o.get("replayed") for o in again["outcomes"]] == [True, None, None, True]
    assert balance(client, books, BOB)["posted"] == "15.00"


def test_holds_post_void_and_reversals(client: TestClient, books: dict[str, str]) -> None:
    hold = {**move(ALICE, BOB, "20.00"), "hold_seconds": 600}
    made = client.post(f"{L}/holds", json=hold, headers={**books, **key("h-1")})
    assert made.status_code == 201, made.text
    hold_id = made.json()["transfer_id"]
    assert made.json()["kind"] == "hold"
    assert balance(client, books, ALICE)["available"] == "80.00"
    # A hold needs hold_seconds; posting needs a key.
    problem(client.post(f"{L}/holds", json=move(ALICE, BOB, "1"), headers=key("h-x") | books), 422)
    problem(client.post(f"{L}/holds/{hold_id}/post", headers=books), 422)

    posted = client.post(
        f"{L}/holds/{hold_id}/post", json={"amount": usd("5.00")}, headers={**books, **key("hp-1")}
    )
    assert posted.status_code == 201, posted.text
    assert balance(client, books, ALICE)["available"] == "95.00"
    assert balance(client, books, BOB)["posted"] == "5.00"
    twice = client.post(f"{L}/holds/{hold_id}/post", headers={**books, **key("hp-2")})
    assert problem(twice, 422)["errors"][0]["code"] == "hold_posted"
    problem(client.post(f"{L}/holds/nope/void", headers={**books, **key("hv-0")}), 404)

    hold2 = client.post(f"{L}/holds", json=hold, headers={**books, **key("h-2")}).json()
    voided = client.post(f"{L}/holds/{hold2['transfer_id']}/void", headers={**books, **key("hv")})
    assert voided.status_code == 201, voided.text
    assert balance(client, books, ALICE)["available"] == "95.00"

    pay = client.post(
        f"{L}/transfers", json=move(ALICE, BOB, "2.00"), headers={**books, **key("p-9")}
    ).json()
    rev = client.post(
        f"{L}/transfers/{pay['transfer_id']}/reverse",
        json={"memo": "sent in error"},
        headers={**books, **key("r-1")},
    )
    assert rev.status_code == 201, rev.text
    assert balance(client, books, BOB)["posted"] == "5.00"
    again = client.post(
        f"{L}/transfers/{rev.json()['transfer_id']}/reverse", headers={**books, **key("r-2")}
    )
    assert problem(again, 422)["errors"][0]["code"] == "reversal_of_reversal"
    problem(client.post(f"{L}/transfers/{pay['transfer_id']}/reverse", headers=books), 422)
    problem(client.post(f"{L}/transfers/nope/reverse", headers={**books, **key("r-3")}), 404)
    problem(
        client.post(
            f"{L}/holds/{hold_id}/post",
            json={"amount": {"amount": 1.0, "currency": "USD"}},
            headers={**books, **key("hp-3")},
        ),
        422,
    )


def test_reports_and_verify(client: TestClient, books: dict[str, str]) -> None:
    trial = client.get(f"{L}/reports/trial-balance", headers=books).json()
    assert trial["balanced"] is True
    sheet = client.get(f"{L}/reports/balance-sheet", headers=books)
    assert sheet.status_code == 200
    past = client.get(f"{L}/reports/trial-balance", params={"as_of_seq": 0}, headers=books)
    assert past.json()["balanced"] is True
    verified = client.get(f"{L}/verify", headers=books).json()
    assert verified["ok"] is True
    assert verified["accounts_checked"] == 3


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt>
<Ntry><Amt Ccy="USD">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
<ValDt><Dt>{day}</Dt></ValDt></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def test_reconciliation(client: TestClient, clock: SimulatedClock, books: dict[str, str]) -> None:
    day = clock.now().date().isoformat()
    csv = f"reference,value_date,amount,currency\n,{day},100.00,USD\n,{day},7.00,USD\n"
    report = client.post(
        f"{L}/reconciliations", json={"account": CASH, "statement": csv}, headers=books
    )
    assert report.status_code == 200, report.text
    found = report.json()
    assert len(found["matched"]) == 1
    assert len(found["missing_in_ledger"]) == 1

    camt = client.post(
        f"{L}/reconciliations",
        json={"account": CASH, "format": "camt053", "statement": CAMT.format(day=day)},
        headers=books,
    )
    assert camt.status_code == 200, camt.text
    assert camt.json()["reconciled"] is True

    bomb = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "a">]><d>&a;</d>'
    bad = {"account": CASH, "format": "camt053", "statement": bomb}
    problem(client.post(f"{L}/reconciliations", json=bad, headers=books), 422)
    garbled = {"account": CASH, "format": "camt053", "statement": "<not xml"}
    problem(client.post(f"{L}/reconciliations", json=garbled, headers=books), 422)
    precise = {
        "account": CASH,
        "statement": f"reference,value_date,amount,currency\n,{day},1.001,USD\n",
    }
    problem(client.post(f"{L}/reconciliations", json=precise, headers=books), 422)
    unknown = {"account": "nope", "statement": csv}
    problem(client.post(f"{L}/reconciliations", json=unknown, headers=books), 404)


def test_the_ledger_opens_lazily_where_the_cli_finds_it(
    client: TestClient, ctx: ApiContext, admin: dict[str, str]
) -> None:
    assert ctx.ledger_backend == "sqlite"
    assert not (ctx.settings.data_dir / "ledger.db").exists()
    assert client.get(f"{L}/accounts", headers=admin).json() == {"items": []}
    assert (ctx.settings.data_dir / "ledger.db").exists()


def test_ledger_backend_follows_the_cli_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from finmon.api.context import ledger_backend

    monkeypatch.delenv("FINMON_LEDGER_BACKEND", raising=False)
    assert ledger_backend() == "sqlite"
    monkeypatch.setenv("FINMON_LEDGER_BACKEND", "postgres")
    assert ledger_backend() == "postgres"
    monkeypatch.setenv("FINMON_LEDGER_BACKEND", "oracle")
    with pytest.raises(ValueError, match="sqlite or postgres"):
        ledger_backend()
