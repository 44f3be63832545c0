"""/v1/screening: names screened with explanations, batches, list uploads, refusals, roles.

The lists are tiny hand-made ones (a three-entry OFAC SDN file, two
OpenSanctions entities) uploaded through the API, so each test indexes a
handful of names.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from finmon.api import create_app
from finmon.api.context import ApiContext
from finmon.api.rbac import Role
from finmon.api.testing import (
    SAMPLE_PEP_FTM,
    SAMPLE_SDN_CSV,
    api_key,
    load_sample_lists,
    login,
    make_context,
)

ALT_CSV = '2676,101,"aka","ZAWAHIRI, Aiman Muhammad Rabi",-0-\n'


class Key:
    """An API key of a role: as good as a login for these routes, and 1,000x cheaper."""

    def __init__(self, ctx: ApiContext, role: Role) -> None:
        self.headers = {"X-API-Key": api_key(ctx, role)}


@pytest.fixture
def officer(ctx: ApiContext) -> Key:
    return Key(ctx, Role.compliance_officer)


@pytest.fixture
def analyst(ctx: ApiContext) -> Key:
    return Key(ctx, Role.analyst)


@pytest.fixture
def loaded(client: TestClient, officer: Key) -> None:
    load_sample_lists(client, officer.headers)


def _upload(
    client: TestClient, headers: dict[str, str], body: bytes, fmt: str, name: str | None = None
) -> Any:
    params = {"format": fmt} | ({"list": name} if name else {})
    return client.post("/v1/screening/lists", params=params, content=body, headers=headers)


def _screen(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/v1/screening", json=body, headers=headers)


def test_without_a_list_screening_is_refused_not_a_silent_no_match(
    client: TestClient, analyst: Key
) -> None:
    response = _screen(client, analyst.headers, name="Ayman al-Zawahiri")
    assert response.status_code == 409
    assert response.json()["code"] == "no_lists"
    assert "POST /v1/screening/lists" in response.json()["detail"]
    lists = client.get("/v1/screening/lists", headers=analyst.headers)
    assert lists.status_code == 200
    assert lists.json() == {"active": []}


@pytest.mark.usefixtures("loaded")
def test_a_name_is_screened_with_candidates_and_explanations(
    client: TestClient, analyst: Key
) -> None:
    response = _screen(
        client, analyst.headers, name="Aiman al-Zawahri", dob="1951-06-19", country="EG"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["match"] is True
    assert body["lists"] == ["ofac_sdn:v1", "pep:v1"]
    best = body["candidates"][0]
    assert best["entry_id"] == "ofac_sdn:2676"
    assert best["list"] == "ofac_sdn"
    assert best["is_match"] is True
    assert best["score"] >= best["threshold"]
    assert best["matched_name"] == "AL ZAWAHIRI, Dr. Ayman"
    assert "aiman~ayman (transliteration" in best["explanation"]
    assert {a["factor"] for a in best["adjustments"]} == {"dob", "country"}
    assert {p["how"] for p in best["pairs"]} >= {"exact", "transliteration"}


@pytest.mark.usefixtures("loaded")
def test_near_misses_are_returned_but_not_matches(client: TestClient, analyst: Key) -> None:
    body = _screen(client, analyst.headers, name="Kim Yong", limit=3).json()
    assert body["candidates"], body
    assert len(body["candidates"]) <= 3
    clean = _screen(client, analyst.headers, name="Erika Mustermann").json()
    assert clean["match"] is False
    assert all(not c["is_match"] for c in clean["candidates"])


ABSURD = [
    ({"name": ""}, "name", "empty"),
    ({"name": "   "}, "name", "empty"),
    ({"name": "?!#"}, "name", "no_letters"),
    ({"name": "x" * 301}, "name", "too_long"),
    ({"name": "Ayman\x00"}, "name", "control_characters"),
    ({"name": "Ayman", "dob": "19/06/1951"}, "dob", "invalid"),
    ({"name": "Ayman", "country": "Atlantis"}, "country", "invalid"),
]


@pytest.mark.usefixtures("loaded")
def test_absurd_input_is_a_422_naming_the_field(client: TestClient, analyst: Key) -> None:
    for body, field, code in ABSURD:
        response = _screen(client, analyst.headers, **body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert (problem["field"], problem["errors"][0]["code"]) == (field, code), body


def test_shape_errors_are_422_before_anything_is_screened(client: TestClient, analyst: Key) -> None:
    for body, field in (
        ({"name": "A", "limit": 0}, "limit"),
        ({"name": "A", "entity_type": "robot"}, "entity_type"),
        ({"name": "A", "colour": "red"}, "colour"),
        ({}, "name"),
    ):
        response = _screen(client, analyst.headers, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field


@pytest.mark.usefixtures("loaded")
def test_a_batch_is_screened_in_order_and_bad_names_are_all_named(
    client: TestClient, analyst: Key
) -> None:
    names = [
        {"subject_id": "c1", "name": "Kim Yong Chol", "dob": "1963"},
        {"subject_id": "c2", "name": "Erika Mustermann"},
        {"subject_id": "c3", "name": "Example Trading", "entity_type": "entity"},
    ]
    response = client.post("/v1/screening/batch", json={"names": names}, headers=analyst.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["screened"] == 3
    assert [r["subject_id"] for r in body["results"]] == ["c1", "c2", "c3"]
    assert [r["match"] for r in body["results"]] == [True, False, True]
    assert body["matches"] == 2
    bad = [{"name": "Kim"}, {"name": ""}, {"name": "Kim", "dob": "63-01-01"}, {"name": "..."}]
    refused = client.post("/v1/screening/batch", json={"names": bad}, headers=analyst.headers)
    assert refused.status_code == 422
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == ["names.1.name", "names.2.dob", "names.3.name"]


def test_a_batch_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    ctx = make_context(tmp_path / "data", max_screening_batch=2)
    try:
        with TestClient(create_app(context=ctx)) as client:
            officer = Key(ctx, Role.compliance_officer)
            load_sample_lists(client, officer.headers)
            names = [{"name": "Kim"}] * 3
            response = client.post(
                "/v1/screening/batch", json={"names": names}, headers=officer.headers
            )
            assert response.status_code == 422
            assert response.json()["field"] == "names"
    finally:
        ctx.close()


def test_uploads_version_the_lists_and_reloading_the_same_content_changes_nothing(
    client: TestClient, ctx: ApiContext, officer: Key, analyst: Key
) -> None:
    first = _upload(client, officer.headers, SAMPLE_SDN_CSV.encode(), "ofac")
    assert first.status_code == 201, first.text
    version = first.json()["version"]
    assert (version["list"], version["version"], version["entries"]) == ("ofac_sdn", 1, 3)
    assert version["loaded_by"].startswith("test-")  # the key's name
    assert not version["source"].startswith("/")  # no server paths out
    again = _upload(client, officer.headers, SAMPLE_SDN_CSV.encode(), "ofac")
    assert again.status_code == 200
    assert again.json()["created"] is False
    grown = SAMPLE_SDN_CSV + '9,"NEW ENTITY LTD",-0-,"X",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n'
    second = _upload(client, officer.headers, grown.encode(), "ofac")
    assert second.status_code == 201
    assert second.json()["diff"] == {"added": 1, "changed": 0, "removed": 0}
    active = client.get("/v1/screening/lists", headers=analyst.headers).json()["active"]
    assert [(v["list"], v["version"], v["active"]) for v in active] == [("ofac_sdn", 2, True)]
    audited = [
        (e["type"], e["payload"]["target"])
        for e in ctx.audit.entries(limit=100)
        if e["type"] == "audit.screening_list_loaded"
    ]
    assert audited[-1] == ("audit.screening_list_loaded", "list:ofac_sdn:v2")


def test_a_malformed_list_is_a_422_with_the_line_and_the_old_version_stays(
    client: TestClient, ctx: ApiContext, officer: Key, analyst: Key
) -> None:
    assert _upload(client, officer.headers, SAMPLE_SDN_CSV.encode(), "ofac").status_code == 201
    broken = SAMPLE_SDN_CSV + '12,"ONLY THREE",-0-\n'
    response = _upload(client, officer.headers, broken.encode(), "ofac")
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "body"
    assert problem["code"] == "malformed_list"
    assert "line 4" in problem["detail"]
    assert "expected 12 fields, got 3" in problem["detail"]
    assert str(ctx.settings.data_dir) not in problem["detail"]
    bad_json = _upload(client, officer.headers, b'{"id": "x"\n', "ftm", "pep")
    assert bad_json.status_code == 422
    assert "line 1" in bad_json.json()["detail"]
    active = client.get("/v1/screening/lists", headers=analyst.headers).json()["active"]
    assert [(v["list"], v["version"]) for v in active] == [("ofac_sdn", 1)]
    assert _screen(client, analyst.headers, name="Kim Yong Chol").json()["match"] is True
    refusals = [
        e["payload"]
        for e in ctx.audit.entries(limit=100)
        if e["type"] == "audit.screening_list_loaded" and e["payload"]["outcome"] == "failure"
    ]
    assert len(refusals) == 2
    assert "expected 12 fields" in refusals[0]["reason"]


def test_upload_refusals_name_the_parameter(client: TestClient, officer: Key) -> None:
    assert _upload(client, officer.headers, b"x", "pdf").json()["field"] == "format"
    missing = client.post("/v1/screening/lists", content=b"x", headers=officer.headers)
    assert missing.status_code == 422
    assert missing.json()["field"] == "format"
    empty = _upload(client, officer.headers, b"  ", "un")
    assert (empty.status_code, empty.json()["field"]) == (422, "body")
    bad_name = _upload(client, officer.headers, SAMPLE_SDN_CSV.encode(), "ofac", "Bad Name!")
    assert (bad_name.status_code, bad_name.json()["field"]) == (422, "list")
    not_zip = _upload(client, officer.headers, b"PK\x03\x04garbage", "ofac")
    assert (not_zip.status_code, not_zip.json()["code"]) == (422, "malformed_list")


def test_an_ofac_zip_brings_its_aliases(client: TestClient, officer: Key, analyst: Key) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sdn.csv", SAMPLE_SDN_CSV)
        archive.writestr("alt.csv", ALT_CSV)
        archive.writestr("README.txt", "ignored")
    response = _upload(client, officer.headers, buffer.getvalue(), "ofac")
    assert response.status_code == 201, response.text
    best = _screen(client, analyst.headers, name="Aiman Muhammad Rabi Zawahiri").json()
    assert best["candidates"][0]["variant"] == "alias"
    assert best["candidates"][0]["is_match"] is True


def test_the_screener_is_rebuilt_after_a_load_through_the_api_or_the_store(
    client: TestClient, ctx: ApiContext, officer: Key, analyst: Key, tmp_path: Path
) -> None:
    assert _upload(client, officer.headers, SAMPLE_SDN_CSV.encode(), "ofac").status_code == 201
    first = ctx.screening.screener()
    assert _screen(client, analyst.headers, name="Maria Garcia Lopez").json()["match"] is False
    assert ctx.screening.screener() is first  # built once, reused per request
    assert (
        _upload(client, officer.headers, SAMPLE_PEP_FTM.encode(), "ftm", "pep").status_code == 201
    )
    assert _screen(client, analyst.headers, name="Maria Garcia Lopez").json()["match"] is True
    # A load by another process (finmon lists load) is seen on the next request too.
    path = tmp_path / "un.ftm.json"
    path.write_text(
        '{"id": "U1", "schema": "Person", "properties": {"name": ["Olga Petrova Smirnova"]}}\n'
    )
    ctx.screening.store.load(path, "ftm", list_name="other", loaded_by="cli")
    assert _screen(client, analyst.headers, name="Olga Smirnova").json()["match"] is True


@pytest.mark.usefixtures("loaded")
def test_roles(client: TestClient, ctx: ApiContext) -> None:
    service = {"X-API-Key": api_key(ctx)}
    assert _screen(client, service, name="Kim Yong Chol").status_code == 200
    assert _upload(client, service, SAMPLE_SDN_CSV.encode(), "ofac").status_code == 403
    for role in (Role.analyst, Role.risk_officer, Role.auditor, Role.senior_analyst):
        headers = Key(ctx, role).headers
        assert _screen(client, headers, name="Kim Yong Chol").status_code == 200
        refused = _upload(client, headers, SAMPLE_SDN_CSV.encode(), "ofac")
        assert refused.status_code == 403, role
        assert refused.json()["field"] == "authorization"
    admin = login(client, ctx, Role.admin).headers  # a person, through the login
    assert _upload(client, admin, SAMPLE_PEP_FTM.encode(), "ftm", "pep").status_code == 200


def test_a_zip_that_expands_too_far_is_refused(
    client: TestClient, officer: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("finmon.api.aml.MAX_UNZIPPED_BYTES", 100)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sdn.csv", SAMPLE_SDN_CSV)
    response = _upload(client, officer.headers, buffer.getvalue(), "ofac")
    assert (response.status_code, response.json()["code"]) == (422, "too_large")
    assert client.get("/v1/screening/lists", headers=officer.headers).json() == {"active": []}
