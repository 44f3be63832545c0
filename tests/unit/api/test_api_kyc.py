"""/v1/kyc: onboarding decisions screened against the loaded lists, ratings, audit, masking."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import api_key, load_sample_lists

APPLICATION: dict[str, Any] = {
    "kind": "individual",
    "customer_id": "C1",
    "given_names": "Erika",
    "family_name": "Mustermann",
    "date_of_birth": "1980-05-01",
    "nationality": "DE",
    "country_of_residence": "DE",
    "address": {"line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"},
    "document_type": "passport",
    "document_number": "C01X00T47",
    "document_country": "DE",
    "document_expiry": "2030-01-01",
    "occupation": "teacher",
    "expected_monthly_volume_minor": 300_000,
    "currency": "EUR",
    "products": ["current"],
    "channels": ["online"],
}
PROFILE: dict[str, Any] = {
    "customer_id": "C9",
    "name": "Erika Mustermann",
    "country": "DE",
    "occupation": "casino",
    "products": ["current"],
    "expected_monthly_volume_minor": 100_000,
    "currency": "EUR",
}


def _key(ctx: ApiContext, role: Role, scopes: frozenset[str] = frozenset()) -> dict[str, str]:
    return {"X-API-Key": api_key(ctx, role, scopes)}


@pytest.fixture
def officer(ctx: ApiContext) -> dict[str, str]:
    return _key(ctx, Role.compliance_officer)


@pytest.fixture
def loaded(client: TestClient, officer: dict[str, str]) -> None:
    load_sample_lists(client, officer)


def _onboard(client: TestClient, headers: dict[str, str], **changes: Any) -> Any:
    return client.post("/v1/kyc/onboarding", json=APPLICATION | changes, headers=headers)


def _not_passed(body: dict[str, Any]) -> dict[str, str]:
    return {c["check"]: c["status"] for c in body["checks"] if c["status"] != "pass"}


@pytest.mark.usefixtures("loaded")
def test_a_clean_applicant_is_approved_with_every_check(
    client: TestClient, officer: dict[str, str]
) -> None:
    response = _onboard(client, officer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "approve"
    checks = {c["check"] for c in body["checks"]}
    assert checks >= {"name", "age", "country", "address", "document", "profile", "sanctions"}
    assert {"pep", "risk"} <= checks
    assert all(c["reason"] for c in body["checks"])
    assert body["rating"]["tier"] == "low"
    assert body["rating"]["factors"]
    assert body["lists"] == ["ofac_sdn:v1", "pep:v1"]
    assert body["applicant"] == {
        "customer_id": "C1",
        "kind": "individual",
        "name": "Erika Mustermann",
    }


@pytest.mark.usefixtures("loaded")
def test_a_sanctioned_name_is_rejected_and_a_pep_referred(
    client: TestClient, officer: dict[str, str]
) -> None:
    rejected = _onboard(
        client, officer, given_names="Ayman", family_name="Al Zawahiri", date_of_birth="1951-06-19"
    ).json()
    assert rejected["outcome"] == "reject"
    assert _not_passed(rejected)["sanctions"] == "fail"
    assert rejected["screening_hits"][0]["entry_id"] == "ofac_sdn:2676"
    assert rejected["rating"]["tier"] == "prohibited"
    referred = _onboard(client, officer, given_names="Maria", family_name="Garcia Lopez").json()
    assert referred["outcome"] == "refer"
    assert _not_passed(referred)["pep"] == "refer"
    assert "pep" in {t["code"] for t in referred["rating"]["edd_triggers"]}


@pytest.mark.usefixtures("loaded")
def test_content_problems_are_checks_and_shape_problems_a_422(
    client: TestClient, officer: dict[str, str]
) -> None:
    body = _onboard(client, officer, date_of_birth="2015-01-01", document_expiry="2020-01-01")
    assert body.status_code == 200
    assert body.json()["outcome"] == "reject"
    failed = {c["field"] for c in body.json()["checks"] if c["status"] == "fail"}
    assert {"date_of_birth", "document_expiry"} <= failed
    for changes, field in (
        ({"date_of_birth": "not a date"}, "date_of_birth"),
        ({"kind": "robot"}, "kind"),
        ({"expected_monthly_volume_minor": -1}, "expected_monthly_volume_minor"),
        ({"favourite_colour": "red"}, "favourite_colour"),
    ):
        response = _onboard(client, officer, **changes)
        assert response.status_code == 422, changes
        assert response.json()["field"] == field


@pytest.mark.usefixtures("loaded")
def test_an_unmappable_country_is_a_failed_check_not_an_error(
    client: TestClient, officer: dict[str, str]
) -> None:
    body = _onboard(client, officer, nationality="Atlantis").json()
    assert body["outcome"] == "reject"
    assert ("country", "nationality") in {
        (c["check"], c["field"]) for c in body["checks"] if c["status"] == "fail"
    }


def test_onboarding_without_lists_is_refused(client: TestClient, officer: dict[str, str]) -> None:
    response = _onboard(client, officer)
    assert response.status_code == 409
    assert response.json()["code"] == "no_lists"


@pytest.mark.usefixtures("loaded")
def test_every_decision_is_audited_without_the_name(
    client: TestClient, ctx: ApiContext, officer: dict[str, str]
) -> None:
    _onboard(client, officer, given_names="Maria", family_name="Garcia Lopez")
    entries = [
        e["payload"]
        for e in ctx.audit.entries(limit=100)
        if e["type"].endswith("kyc_onboarding_decided")
    ]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["target"] == "kyc:C1"
    assert entry["outcome"] == "success"
    assert "outcome=refer" in entry["reason"]
    assert "referred=pep,risk" in entry["reason"]
    assert "Garcia" not in str(entry)
    assert "Maria" not in str(entry)
    assert "name=****ez" in entry["reason"]


@pytest.mark.usefixtures("loaded")
def test_the_applicant_name_is_masked_without_pii_read(client: TestClient, ctx: ApiContext) -> None:
    narrow = _key(ctx, Role.compliance_officer, frozenset({"kyc:write"}))
    body = _onboard(client, narrow).json()
    assert body["applicant"]["name"] == "****nn"
    assert "Mustermann" not in str(body)


def test_roles(client: TestClient, ctx: ApiContext) -> None:
    for role in (Role.analyst, Role.risk_officer, Role.auditor, Role.service, Role.senior_analyst):
        assert _onboard(client, _key(ctx, role)).status_code == 403, role
    for role in (Role.analyst, Role.service):
        response = client.post(
            "/v1/kyc/rating", json={"profile": PROFILE, "screen": False}, headers=_key(ctx, role)
        )
        assert response.status_code == 403, role
    for role in (Role.auditor, Role.risk_officer, Role.senior_analyst, Role.admin):
        response = client.post(
            "/v1/kyc/rating", json={"profile": PROFILE, "screen": False}, headers=_key(ctx, role)
        )
        assert response.status_code == 200, role


@pytest.mark.usefixtures("loaded")
def test_a_rating_has_the_breakdown_triggers_and_next_review(
    client: TestClient, officer: dict[str, str]
) -> None:
    observed = {"inflow_minor": 1_000_000, "outflow_minor": 900_000, "count": 40, "days": 90}
    response = client.post(
        "/v1/kyc/rating",
        json={"profile": PROFILE, "observed": observed, "as_of": "2026-03-02"},
        headers=officer,
    )
    assert response.status_code == 200, response.text
    rating = response.json()["rating"]
    factors = {f["name"]: f for f in rating["factors"]}
    assert factors["occupation"]["points"] == 15.0
    assert factors["activity"]["value"] == 1.0
    assert rating["score"] == pytest.approx(sum(f["points"] for f in rating["factors"]))
    assert rating["tier"] == "medium"
    assert rating["activity_ratio"] == pytest.approx(3.33, abs=0.01)
    assert "activity_above_expected" in {t["code"] for t in rating["edd_triggers"]}
    assert rating["rated_on"] == "2026-03-02"
    assert rating["next_review"] == "2028-03-02"
    assert response.json()["lists"] == ["ofac_sdn:v1", "pep:v1"]


@pytest.mark.usefixtures("loaded")
def test_a_rating_screens_the_name(client: TestClient, officer: dict[str, str]) -> None:
    profile = PROFILE | {"name": "Maria Garcia Lopez", "occupation": "teacher"}
    body = client.post("/v1/kyc/rating", json={"profile": profile}, headers=officer).json()
    assert body["screening_hits"][0]["is_pep"] is True
    assert body["rating"]["tier"] == "high"  # the PEP floor
    unscreened = client.post(
        "/v1/kyc/rating", json={"profile": profile, "screen": False}, headers=officer
    ).json()
    assert unscreened["screening_hits"] == []
    assert unscreened["lists"] == []


def test_rating_refusals_name_the_field(client: TestClient, officer: dict[str, str]) -> None:
    cases: list[tuple[dict[str, Any], str, int]] = [
        ({"profile": PROFILE}, "lists", 409),  # screening asked, nothing loaded
        ({"profile": PROFILE | {"name": "?!"}, "screen": True}, "profile.name", 422),
        ({"profile": PROFILE | {"currency": "euro"}, "screen": False}, "profile.currency", 422),
        ({"profile": {"name": "x"}, "screen": False}, "profile.customer_id", 422),
        ({"profile": PROFILE, "observed": {"days": 0}, "screen": False}, "observed.days", 422),
    ]
    for body, field, status in cases:
        response = client.post("/v1/kyc/rating", json=body, headers=officer)
        assert (response.status_code, response.json()["field"]) == (status, field), body


@pytest.mark.usefixtures("loaded")
def test_a_retry_with_the_same_idempotency_key_is_decided_and_audited_once(
    client: TestClient, ctx: ApiContext, officer: dict[str, str]
) -> None:
    headers = officer | {"Idempotency-Key": "onboard-C1"}
    first = client.post("/v1/kyc/onboarding", json=APPLICATION, headers=headers)
    again = client.post("/v1/kyc/onboarding", json=APPLICATION, headers=headers)
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    other = client.post(
        "/v1/kyc/onboarding", json=APPLICATION | {"customer_id": "C2"}, headers=headers
    )
    assert other.status_code == 409
    decided = [
        e for e in ctx.audit.entries(limit=100) if e["type"].endswith("kyc_onboarding_decided")
    ]
    assert len(decided) == 1
