"""`finmon monitor`: train and register models, score files, evaluate, manage rules and models.

The contract commands (``train``, ``score``, ``evaluate``) are what scripts and
later capabilities call; ``rules …`` and ``models …`` are the operator's
controls over what is in force (every change recorded with who and when).
Models, rule revisions and generated datasets live under ``<data dir>/monitor``.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from finmon.commands.output import console, emit_json, key_value_table
from finmon.core.settings import load_settings
from finmon.monitor import service
from finmon.monitor.dataset import Dataset
from finmon.monitor.rules import RuleSet, backtest

app = typer.Typer(
    help="The monitoring engine: train, score, evaluate; rules and models in force.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="Rule sets: list, validate, deploy, roll back, backtest.")
models_app = typer.Typer(help="Model registry: list, promote, roll back, challenger.")
app.add_typer(rules_app, name="rules")
app.add_typer(models_app, name="models")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
ScenarioOption = Annotated[
    str | None, typer.Option("--scenario", "-s", help="Shipped scenario name or a .toml path.")
]
SeedOption = Annotated[int | None, typer.Option("--seed", min=0, help="Override the seed.")]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="A directory of canonical files (transactions.*, labels.* ...)."),
]
AuthorOption = Annotated[
    str | None, typer.Option("--author", help="Who makes the change (default: the OS user).")
]


def _author(author: str | None) -> str:
    return author or getpass.getuser()


@app.command()
def train(
    scenario: ScenarioOption = None,
    seed: SeedOption = None,
    data: DataOption = None,
    promote: Annotated[
        bool, typer.Option("--promote/--no-promote", help="Make the new model the champion.")
    ] = True,
    author: AuthorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train a gradient-boosted model on labelled data (time-based split) and register it."""
    settings = load_settings()
    dataset, source = service.resolve_dataset(settings, scenario=scenario, seed=seed, data=data)
    trained = service.train(settings, dataset, source, author=_author(author), promote=promote)
    model = trained.model
    document: dict[str, Any] = {
        "version": trained.version.version,
        "promoted": trained.promoted,
        "source": source,
        "rows": model.rows,
        "positives": model.positives,
        "feature_set_version": model.feature_set_version,
        "split": model.split,
        "test_metrics": model.metrics,
        "path": str(trained.version.path),
    }
    if as_json:
        emit_json(document)
        return
    shown = {k: v for k, v in document.items() if k not in ("split", "test_metrics")}
    shown.update({f"test {k}": _fmt(v) for k, v in model.metrics.items()})
    console.print(key_value_table(f"trained model {trained.version.version}", shown))


@app.command()
def score(
    data: Annotated[Path, typer.Option("--data", help="Directory with transactions.*.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write the decisions to.")],
    no_model: Annotated[
        bool, typer.Option("--no-model", help="Rules only (every decision degraded).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Score every transaction with the streaming engine, in event-time order, into a CSV."""
    settings = load_settings()
    dataset = service.load_dataset(data)
    engine, champion = service.build_engine(settings, dataset, use_model=not no_model)
    summary = service.write_scores(service.score_decisions(dataset, engine), out)
    document = {
        **summary.to_dict(),
        "out": str(out),
        "model_version": champion.version if champion.model is not None else None,
        "model_problem": champion.problem,
        "ruleset": f"{engine.rules.name} v{engine.rules.version}",
        "late_events": engine.features.stats.to_dict(),
        "drift": _drift(engine),
    }
    if as_json:
        emit_json(document)
        return
    console.print(key_value_table(f"scored {data} -> {out}", _flat(document)))


@app.command()
def evaluate(
    scenario: ScenarioOption = None,
    seed: SeedOption = None,
    data: DataOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for the JSON report and PR-curve PNG."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Rules alone, model alone and combined: PR-AUC, recall at 1%/0.1% FPR, per typology."""
    settings = load_settings()
    dataset, source = service.resolve_dataset(settings, scenario=scenario, seed=seed, data=data)
    report = service.evaluate(settings, dataset, source)
    target = out or service.monitor_dir(settings) / "evaluations"
    stem = source.replace(":", "-").replace("=", "").replace("/", "_")[:80]
    paths = report.save(target, stem)
    if as_json:
        emit_json({**report.to_dict(), "files": [str(p) for p in paths]})
        return
    console.print(report.summary_table())
    console.print(report.typology_table())
    console.print(f"saved {', '.join(str(p) for p in paths)}")


# -- rules -------------------------------------------------------------------


@rules_app.command("list")
def rules_list(as_json: JsonOption = False) -> None:
    """The rule set in force, rule by rule."""
    ruleset = service.active_ruleset(load_settings())
    rows = [
        {
            "id": r.id,
            "mode": r.mode,
            "severity": r.severity,
            "score": r.score,
            "expression": r.expression,
        }
        for r in ruleset.rules
    ]
    if as_json:
        emit_json({"name": ruleset.name, "version": ruleset.version, "rules": rows})
        return
    table = Table(title=f"{ruleset.name} v{ruleset.version}", title_justify="left")
    for column in ("id", "mode", "severity", "score", "expression"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("id", "mode", "severity", "score", "expression")))
    console.print(table)


@rules_app.command("validate")
def rules_validate(
    file: Annotated[Path, typer.Argument(help="A rule-set YAML file.")],
) -> None:
    """Check a rule set; every problem with its line and column (exit 2 when any)."""
    ruleset = RuleSet.from_file(file)
    console.print(f"{file}: {len(ruleset)} rules, valid")


@rules_app.command("deploy")
def rules_deploy(
    file: Annotated[Path, typer.Argument(help="A rule-set YAML file.")],
    comment: Annotated[str, typer.Option(help="Why (kept in the history).")] = "",
    author: AuthorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate and activate a rule set; an invalid one is refused and the old one stays."""
    settings = load_settings()
    with service.open_rule_store(settings) as store:
        version = store.save(file.read_text(encoding="utf-8"), _author(author), comment)
    document = {"revision": version.revision, "name": version.name, "sha256": version.sha256}
    if as_json:
        emit_json(document)
        return
    console.print(key_value_table("deployed", document))


@rules_app.command("rollback")
def rules_rollback(
    revision: Annotated[int, typer.Argument(help="The revision to make active again.")],
    author: AuthorOption = None,
) -> None:
    """Make an earlier revision active again (recorded as a rollback)."""
    with service.open_rule_store(load_settings()) as store:
        version = store.activate(revision, _author(author), "rollback")
    console.print(f"active rule set: revision {version.revision} ({version.name})")


@rules_app.command("history")
def rules_history(as_json: JsonOption = False) -> None:
    """Who changed which rules, when."""
    with service.open_rule_store(load_settings()) as store:
        changes = store.history()
    rows = [
        {
            "at": c.at.isoformat(),
            "author": c.author,
            "action": c.action,
            "revision": c.revision,
            "comment": c.comment,
        }
        for c in changes
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="rule-set history", title_justify="left")
    for column in ("at", "author", "action", "revision", "comment"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("at", "author", "action", "revision", "comment")))
    console.print(table)


@rules_app.command("backtest")
def rules_backtest(
    scenario: ScenarioOption = None,
    seed: SeedOption = None,
    data: DataOption = None,
    file: Annotated[
        Path | None, typer.Option("--rules", help="Rule-set file (default: the active one).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a rule set over labelled history: alerts, precision and recall per rule."""
    settings = load_settings()
    dataset, _ = service.resolve_dataset(settings, scenario=scenario, seed=seed, data=data)
    ruleset = RuleSet.from_file(file) if file else service.active_ruleset(settings)
    report = backtest(ruleset, _rule_frame(dataset), _labels_frame(dataset))
    if as_json:
        emit_json(report.to_dict())
        return
    console.print(report.table())


def _rule_frame(dataset: Dataset) -> Any:
    return service.feature_frame(dataset).frame


def _labels_frame(dataset: Dataset) -> Any:
    import polars as pl

    labels = dataset.labels_aligned()
    return pl.DataFrame(
        {
            "transaction_id": dataset.transactions["transaction_id"].to_pylist(),
            "is_fraud": labels.y,
            "typology": labels.typology,
        }
    )


# -- models ------------------------------------------------------------------


@models_app.command("list")
def models_list(as_json: JsonOption = False) -> None:
    """Registered model versions, champion and challenger marked."""
    registry = service.open_registry(load_settings())
    champion, challenger = registry.champion(), registry.challenger()
    rows = [
        {
            "version": v.version,
            "role": "champion"
            if v.version == champion
            else "challenger"
            if v.version == challenger
            else "",
            "created_at": v.created_at.isoformat(),
            "author": v.author,
            "source": service.training_source(v),
            "rows": v.rows,
            "pr_auc": v.metrics.get("pr_auc"),
        }
        for v in registry.list()
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="models", title_justify="left")
    for column in ("version", "role", "created_at", "author", "source", "rows", "pr_auc"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(_fmt(v) for v in row.values()))
    console.print(table)


@models_app.command("promote")
def models_promote(
    version: Annotated[str, typer.Argument(help="Model version to serve.")],
    author: AuthorOption = None,
) -> None:
    """Make a verified version the champion (the previous one is kept for rollback)."""
    settings = load_settings()
    registry = service.open_registry(settings)
    registry.load(version, expected_feature_set_version=service.FEATURE_SET_VERSION)
    registry.promote(version, author=_author(author))
    console.print(f"champion: {version}")


@models_app.command("rollback")
def models_rollback(author: AuthorOption = None) -> None:
    """Bring back the previous champion."""
    version = service.open_registry(load_settings()).rollback(author=_author(author))
    console.print(f"champion: {version}")


@models_app.command("challenger")
def models_challenger(
    version: Annotated[
        str | None, typer.Argument(help="Version to shadow the champion (omit to clear).")
    ] = None,
    author: AuthorOption = None,
) -> None:
    """Run a version in shadow beside the champion (its scores recorded, never acted on)."""
    service.open_registry(load_settings()).set_challenger(version, author=_author(author))
    console.print(f"challenger: {version or 'none'}")


def _drift(engine: Any) -> dict[str, Any] | None:
    """PSI of the scored data against the model's training sample, and any drift alerts."""
    if engine.drift is None:
        return None
    report = engine.drift.report()
    return {
        "samples": report.samples,
        "score_psi": report.score_psi,
        "worst": dict(report.worst(5)),
        "alerts": [a.text for a in engine.drift.alerts(report)],
    }


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _flat(document: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat
