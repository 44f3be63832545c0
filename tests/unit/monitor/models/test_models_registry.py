"""The model registry: versions, champion / challenger / rollback, and refusing bad files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from finmon.core.clock import SimulatedClock
from finmon.core.errors import ConflictError, IntegrityError, NotFoundError, ValidationError
from finmon.monitor.models import ModelRegistry, TrainedModel, train_gbm
from finmon.monitor.models.registry import (
    BOOSTER_FILE,
    CALIBRATION_FILE,
    INDEX_FILE,
    METADATA_FILE,
    sha256_file,
)
from finmon.monitor.models.synthetic import SyntheticData

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(START)


@pytest.fixture
def registry(tmp_path: Path, clock: SimulatedClock) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models", clock)


def _three(registry: ModelRegistry, model: TrainedModel, clock: SimulatedClock) -> list[str]:
    out = []
    for i in range(3):
        clock.advance(60)
        out.append(registry.register(model, author="ana", note=f"run {i}").version)
    return out


def test_register_stores_booster_calibration_and_metadata_with_hashes(
    registry: ModelRegistry, model: TrainedModel, clock: SimulatedClock
) -> None:
    mv = registry.register(model, author="ana", note="first")
    folder = registry.root / mv.version
    assert sorted(p.name for p in folder.iterdir()) == [
        BOOSTER_FILE,
        CALIBRATION_FILE,
        METADATA_FILE,
    ]
    meta = json.loads((folder / METADATA_FILE).read_text())
    assert meta["kind"] == "xgboost"
    assert meta["version"] == mv.version
    assert meta["created_at"] == clock.now().isoformat()
    assert meta["feature_names"] == list(model.feature_names)
    assert meta["feature_set_version"] == "fs-test-1"
    assert meta["rows"] == model.rows
    assert meta["positives"] == model.positives
    assert (meta["window_start_us"], meta["window_end_us"]) == (
        model.window_start_us,
        model.window_end_us,
    )
    assert meta["metrics"] == model.metrics
    assert meta["params"]["max_depth"] == 4
    for name in (BOOSTER_FILE, CALIBRATION_FILE):
        assert meta["artefacts"][name] == sha256_file(folder / name)
    assert (folder / BOOSTER_FILE).read_bytes()[:1] == b"{"  # UBJSON object, not a pickle
    assert mv.author == "ana"
    assert mv.note == "first"
    assert mv.created_at == START
    assert registry.champion() is None
    assert registry.challenger() is None


def test_load_round_trips_the_predictions_and_explanations(
    registry: ModelRegistry, model: TrainedModel, data: SyntheticData
) -> None:
    version = registry.register(model, author="ana").version
    loaded = registry.load(version, expected_feature_set_version="fs-test-1")
    np.testing.assert_array_equal(loaded.predict_proba(data.x), model.predict_proba(data.x))
    np.testing.assert_allclose(
        loaded.contributions(data.x[:50]), model.contributions(data.x[:50]), atol=1e-6
    )
    assert loaded.feature_names == model.feature_names
    assert loaded.calibration == model.calibration
    assert loaded.split == model.split


def test_promote_rollback_challenger_and_history(
    registry: ModelRegistry, model: TrainedModel, clock: SimulatedClock
) -> None:
    v1, v2, v3 = _three(registry, model, clock)
    registry.promote(v1, author="lead")
    registry.set_challenger(v2, author="ana")
    assert (registry.champion(), registry.challenger()) == (v1, v2)
    registry.promote(v2, author="lead")  # the challenger wins: it is champion, shadow is empty
    assert (registry.champion(), registry.challenger()) == (v2, None)
    registry.promote(v3, author="lead")
    assert registry.rollback(author="oncall") == v2
    assert registry.rollback(author="oncall") == v1
    assert registry.champion() == v1
    with pytest.raises(ConflictError):
        registry.rollback(author="oncall")
    registry.set_challenger(v3, author="ana")
    registry.set_challenger(None, author="ana")
    assert registry.challenger() is None
    assert [v.version for v in registry.list()] == [v1, v2, v3]
    history = registry.history()
    assert [(h["action"], h["version"], h["author"]) for h in history] == [
        ("register", v1, "ana"),
        ("register", v2, "ana"),
        ("register", v3, "ana"),
        ("promote", v1, "lead"),
        ("set_challenger", v2, "ana"),
        ("promote", v2, "lead"),
        ("promote", v3, "lead"),
        ("rollback", v2, "oncall"),
        ("rollback", v1, "oncall"),
        ("set_challenger", v3, "ana"),
        ("set_challenger", None, "ana"),
    ]
    assert history[6]["previous"] == v2
    assert history[7]["previous"] == v3
    assert all(h["at"] == clock.now().isoformat() for h in history[3:])


def test_state_survives_reopening(
    tmp_path: Path, registry: ModelRegistry, model: TrainedModel, clock: SimulatedClock
) -> None:
    v1, v2, _ = _three(registry, model, clock)
    registry.promote(v1, author="lead")
    registry.promote(v2, author="lead")
    reopened = ModelRegistry(registry.root, clock)
    assert reopened.champion() == v2
    assert reopened.rollback(author="lead") == v1


def test_state_changes_refuse_conflicts_unknown_versions_and_anonymous_authors(
    registry: ModelRegistry, model: TrainedModel
) -> None:
    v1 = registry.register(model, author="ana").version
    registry.promote(v1, author="lead")
    with pytest.raises(ConflictError):
        registry.promote(v1, author="lead")
    with pytest.raises(ConflictError):
        registry.set_challenger(v1, author="lead")
    with pytest.raises(NotFoundError) as err:
        registry.promote("xgboost-9999-deadbeef", author="lead")
    assert err.value.field == "version"
    with pytest.raises(NotFoundError):
        registry.load("nope")
    for call in (
        lambda: registry.register(model, author=""),
        lambda: registry.promote(v1, author=" "),
        lambda: registry.rollback(author=""),
        lambda: registry.set_challenger(None, author=""),
    ):
        with pytest.raises(ValidationError) as verr:
            call()
        assert verr.value.field == "author"


def _flip_byte(path: Path, at: int = 200) -> None:
    raw = bytearray(path.read_bytes())
    raw[at % len(raw)] ^= 0x01
    path.write_bytes(bytes(raw))


def test_a_tampered_booster_is_refused_and_the_champion_stays(
    registry: ModelRegistry, model: TrainedModel, clock: SimulatedClock
) -> None:
    v1, v2, _ = _three(registry, model, clock)
    registry.promote(v1, author="lead")
    _flip_byte(registry.root / v2 / BOOSTER_FILE)
    with pytest.raises(IntegrityError) as err:
        registry.load(v2)
    assert err.value.field == BOOSTER_FILE
    assert "sha256" in err.value.message
    assert "refusing" in err.value.message
    with pytest.raises(IntegrityError):
        registry.promote(v2, author="attacker")
    with pytest.raises(IntegrityError):
        registry.set_challenger(v2, author="attacker")
    assert registry.champion() == v1
    assert registry.challenger() is None
    assert registry.load(v1).feature_names == model.feature_names
    assert [h["action"] for h in registry.history()].count("promote") == 1


def test_a_tampered_calibration_is_refused(registry: ModelRegistry, model: TrainedModel) -> None:
    version = registry.register(model, author="ana").version
    path = registry.root / version / CALIBRATION_FILE
    cal = json.loads(path.read_text())
    cal["y"] = [1.0 for _ in cal["y"]]  # valid JSON, every transaction now "certain fraud"
    path.write_text(json.dumps(cal))
    with pytest.raises(IntegrityError) as err:
        registry.load(version)
    assert err.value.field == CALIBRATION_FILE


def test_a_wrong_feature_set_version_is_refused_with_the_reason(
    registry: ModelRegistry, model: TrainedModel
) -> None:
    version = registry.register(model, author="ana").version
    with pytest.raises(ValidationError) as err:
        registry.load(version, expected_feature_set_version="fs-test-2")
    assert err.value.code == "feature_set_mismatch"
    assert "fs-test-1" in err.value.message
    assert "fs-test-2" in err.value.message


def test_corrupt_or_edited_metadata_is_refused(
    registry: ModelRegistry, model: TrainedModel
) -> None:
    version = registry.register(model, author="ana").version
    path = registry.root / version / METADATA_FILE
    path.write_text(path.read_text()[:-20])  # truncated
    with pytest.raises(IntegrityError) as err:
        registry.load(version)
    assert err.value.field == METADATA_FILE
    with pytest.raises(IntegrityError):
        registry.list()


def _rewrite_consistently(registry: ModelRegistry, version: str, text: str) -> None:
    """An attacker who can write the index too: the hashes agree, the content must still pass."""
    path = registry.root / version / METADATA_FILE
    path.write_text(text)
    index_path = registry.root / INDEX_FILE
    index = json.loads(index_path.read_text())
    index["versions"][version]["metadata_sha256"] = sha256_file(path)
    index_path.write_text(json.dumps(index))


def test_corrupt_json_is_refused_even_when_its_hash_was_re_registered(
    registry: ModelRegistry, model: TrainedModel
) -> None:
    version = registry.register(model, author="ana").version
    _rewrite_consistently(registry, version, "{not json")
    with pytest.raises(IntegrityError) as err:
        registry.load(version)
    assert "not valid JSON" in err.value.message


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda m: m.update(feature_names=m["feature_names"][:-1]), "feature_names"),
        (lambda m: m.update(rows="many"), "rows"),
        (lambda m: m.update(kind="pickle"), METADATA_FILE),
        (lambda m: m["artefacts"].update({"evil.pkl": "0" * 64}), "artefacts"),
        (lambda m: m["params"].update(nthread="all"), "params"),
    ],
)
def test_poisoned_metadata_is_refused(
    registry: ModelRegistry, model: TrainedModel, edit: object, field: str
) -> None:
    version = registry.register(model, author="ana").version
    meta = json.loads((registry.root / version / METADATA_FILE).read_text())
    edit(meta)  # type: ignore[operator]
    _rewrite_consistently(registry, version, json.dumps(meta))
    with pytest.raises(IntegrityError) as err:
        registry.load(version)
    assert err.value.field == field


def test_a_booster_that_is_not_a_booster_is_refused(
    registry: ModelRegistry, model: TrainedModel
) -> None:
    version = registry.register(model, author="ana").version
    folder = registry.root / version
    (folder / BOOSTER_FILE).write_bytes(b"\x80\x04not a model")
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["artefacts"][BOOSTER_FILE] = sha256_file(folder / BOOSTER_FILE)
    _rewrite_consistently(registry, version, json.dumps(meta))
    with pytest.raises(IntegrityError) as err:
        registry.load(version)
    assert err.value.field == BOOSTER_FILE
    assert "not a readable booster" in err.value.message


def test_a_missing_artefact_is_refused(registry: ModelRegistry, model: TrainedModel) -> None:
    version = registry.register(model, author="ana").version
    (registry.root / version / CALIBRATION_FILE).unlink()
    with pytest.raises(IntegrityError) as err:
        registry.load(version)
    assert "missing" in err.value.message


def test_rollback_to_a_champion_that_no_longer_verifies_changes_nothing(
    registry: ModelRegistry, model: TrainedModel, clock: SimulatedClock
) -> None:
    v1, v2, _ = _three(registry, model, clock)
    registry.promote(v1, author="lead")
    registry.promote(v2, author="lead")
    _flip_byte(registry.root / v1 / BOOSTER_FILE)
    with pytest.raises(IntegrityError):
        registry.rollback(author="oncall")
    assert registry.champion() == v2


def test_a_corrupt_index_is_refused_at_open(tmp_path: Path, clock: SimulatedClock) -> None:
    root = tmp_path / "models"
    root.mkdir()
    (root / INDEX_FILE).write_text("[]")
    with pytest.raises(IntegrityError) as err:
        ModelRegistry(root, clock)
    assert err.value.field == "index"
    (root / INDEX_FILE).write_text("{")
    with pytest.raises(IntegrityError):
        ModelRegistry(root, clock)


def test_the_model_carries_its_registry_version_for_decisions(
    registry: ModelRegistry, data: SyntheticData
) -> None:
    fresh = train_gbm(
        data.x, data.y, data.times_us, data.feature_names, "fs", params={"num_boost_round": 3}
    )
    assert fresh.version == "unregistered"
    version = registry.register(fresh, author="ana").version
    assert fresh.version == version
    assert registry.load(version).version == version
    assert registry.describe(version).version == version


def test_an_index_entry_that_would_leave_the_registry_folder_is_refused(
    registry: ModelRegistry, model: TrainedModel
) -> None:
    version = registry.register(model, author="ana").version
    index_path = registry.root / INDEX_FILE
    index = json.loads(index_path.read_text())
    index["versions"]["../outside"] = index["versions"][version]
    index_path.write_text(json.dumps(index))
    with pytest.raises(NotFoundError):
        registry.load("../outside")


def test_a_corrupt_history_line_is_reported(registry: ModelRegistry, model: TrainedModel) -> None:
    registry.register(model, author="ana")
    with (registry.root / "history.jsonl").open("a") as fh:
        fh.write("{oops\n")
    with pytest.raises(IntegrityError) as err:
        registry.history()
    assert "line 2" in err.value.message
