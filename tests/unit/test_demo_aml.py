"""The demo's AML stage: detectors scored per typology, the sample list loaded, names screened.

``finmon demo --quick --json`` runs once per module through the real command
(in-process, fresh data dir); the tests read its ``aml`` section. The list
store's behaviour (load the sample only when empty, skip screening with a
reason when there is nothing to load) is tested on its own, without a demo.
Screening figures need the shared sample folder: they are skipped, saying
so, where it is absent.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import orjson
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from rich.console import Console
from typer.testing import CliRunner

from finmon.aml.detectors.evaluation import AML_TYPOLOGIES
from finmon.aml.screening import ListStore
from finmon.cli import app
from finmon.demo_aml import SAMPLE_LIST, ensure_lists, sample_list
from finmon.demo_render import render_aml

NO_SAMPLE = f"the shared sample folder (sanctions/{SAMPLE_LIST}) is absent on this machine"


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    """Exit code and JSON document of ``finmon demo --quick --json`` on a fresh data dir."""
    base = tmp_path_factory.mktemp("demo-aml")
    # Only the data dir (and where the shared sample lies) come from the environment.
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("FINMON_")}
    env["FINMON_DATA_DIR"] = str(base / "data")
    if shared := os.environ.get("FINMON_SHARED_DATA"):
        env["FINMON_SHARED_DATA"] = shared
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(base)  # no stray ./finmon.toml
        result = CliRunner().invoke(app, ["demo", "--quick", "--json"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, orjson.loads(result.stdout)


def test_quick_demo_still_exits_zero_with_an_aml_section(
    quick_demo: tuple[int, dict[str, Any]],
) -> None:
    code, report = quick_demo
    assert code == 0
    aml = report["aml"]
    assert set(aml) >= {"lists", "detectors", "typologies", "evaluation", "screening"}
    assert aml["detectors"]["transactions"] == report["simulation"]["transactions"]


def test_every_labelled_aml_typology_is_reported(quick_demo: tuple[int, dict[str, Any]]) -> None:
    _, report = quick_demo
    truth = pq.read_table(Path(report["simulation"]["out"]) / "ground_truth.parquet")
    labelled = {t for t in truth.column("typology").to_pylist() if t in AML_TYPOLOGIES}
    assert labelled  # the demo bank hides AML typologies
    aml = report["aml"]
    assert set(aml["detectors"]["labelled_typologies"]) == labelled
    assert labelled <= set(aml["typologies"])
    for typology in labelled:
        row = aml["typologies"][typology]
        assert row["instances"] >= 1
        assert 0 <= row["detected"] <= row["instances"]
        assert row["recall"] == pytest.approx(row["detected"] / row["instances"], abs=1e-4)
        assert row["precision"] is None or 0.0 <= row["precision"] <= 1.0
    assert sum(r["findings"] for r in aml["typologies"].values()) == aml["detectors"]["findings"]
    assert aml["evaluation"]["instances"] == sum(r["instances"] for r in aml["typologies"].values())


def test_screening_stats_with_the_sample_list(quick_demo: tuple[int, dict[str, Any]]) -> None:
    if sample_list() is None:
        pytest.skip(NO_SAMPLE)
    _, report = quick_demo
    aml = report["aml"]
    lists = aml["lists"]
    assert lists["loaded_now"] is not None  # a fresh data dir: the sample was loaded
    assert [v["list"] for v in lists["active"]] == ["ofac_sdn"]
    assert lists["active"][0]["entries"] > 1000
    assert aml["detectors"]["sanctions_matcher"] == "screener over loaded lists"
    screening = aml["screening"]
    tx = pq.read_table(Path(report["simulation"]["out"]) / "transactions.parquet")
    names = {n for n in pc.unique(tx.column("counterparty_name")).to_pylist() if n}
    assert screening["names"] == len(names)
    assert 0 < screening["matched"] <= screening["names"]
    assert screening["refused"] == 0
    # the simulator's sanctioned counterparties come from this very list
    assert screening["labelled_sanctioned_names"] >= 1
    assert screening["labelled_sanctioned_matched"] == screening["labelled_sanctioned_names"]
    assert 0 < screening["latency_p50_us"] <= screening["latency_p99_us"]
    assert screening["examples"]
    assert all(e["list"] == "ofac_sdn" for e in screening["examples"])


def test_the_rich_output_has_the_aml_tables(quick_demo: tuple[int, dict[str, Any]]) -> None:
    _, report = quick_demo
    out = io.StringIO()
    render_aml(report["aml"], Console(file=out, width=120))
    text = out.getvalue()
    assert "AML detectors and sanctions screening" in text
    assert "AML findings by typology" in text
    for typology in report["aml"]["detectors"]["labelled_typologies"]:
        assert typology in text


def test_no_list_and_no_sample_skips_screening_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("finmon.demo_aml.sample_list", lambda: None)
    lists = ensure_lists(ListStore(tmp_path / "screening"))
    assert lists["active"] == []
    assert lists["loaded_now"] is None
    assert "no sanctions list loaded" in lists["skipped"]
    out = io.StringIO()
    aml = {
        "lists": lists,
        "detectors": {
            "transactions": 10,
            "seconds": 0.1,
            "sanctions_matcher": "exact names",
            "findings": 0,
            "labelled_typologies": [],
        },
        "typologies": {},
        "evaluation": None,
        "screening": {"skipped": lists["skipped"]},
    }
    render_aml(aml, Console(file=out, width=200))
    assert "screening skipped" in out.getvalue()


def test_a_loaded_list_is_used_as_it_is(tmp_path: Path) -> None:
    folder = sample_list()
    if folder is None:
        pytest.skip(NO_SAMPLE)
    store = ListStore(tmp_path / "screening")
    first = ensure_lists(store)
    assert first["loaded_now"] == str(folder)
    again = ensure_lists(store)
    assert again["loaded_now"] is None  # already loaded: not loaded twice
    assert again["active"] == first["active"]
    assert "skipped" not in again
