"""The realism report: figures and plots that show what the simulator produces.

Generates a scenario in memory and writes PNG plots (matplotlib, Agg backend)
into ``<docs>/img/`` and a table of figures between the markers in
``<docs>/simulation.md``, so the documentation always shows the current model.
Floats are used here for plotting only; the data itself stays exact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from finmon.sim.generator import Simulation
from finmon.sim.names import AML_TYPOLOGIES
from finmon.sim.scenarios import Scenario
from finmon.sim.tables import reference_tables

START = "<!-- sim-report:start -->"
END = "<!-- sim-report:end -->"


def _collect(scenario: Scenario) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    sim = Simulation(scenario)
    batches = list(sim.batches())
    txs = pa.concat_tables([b.transactions for b in batches])
    labels = pa.concat_tables([b.labels for b in batches])
    customers = reference_tables(sim.world)["customers"]
    return txs, labels, customers, sim.ground_truth()


def _amounts(txs: pa.Table) -> np.ndarray:
    return np.asarray(pc.cast(txs.column("amount"), pa.float64()).to_numpy())


def _plot_amounts(plt: Any, groups: dict[str, np.ndarray], title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bins = np.logspace(-1, 6, 70)
    for name, values in sorted(groups.items(), key=lambda kv: -kv[1].size):
        if values.size >= 20:
            ax.hist(
                values, bins=bins, histtype="step", density=True, label=f"{name} ({values.size:,})"
            )
    ax.set_xscale("log")
    ax.set_xlabel("amount (USD, log scale)")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_bars(plt: Any, labels: list[str], values: list[float], title: str, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(labels, values, color="#4472c4")
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=60 if len(labels) > 10 else 0, labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _graph_sizes(truth: pa.Table) -> dict[str, list[int]]:
    rows = truth.to_pylist()
    return {
        "accounts": [
            len(json.loads(r["account_ids"])) for r in rows if r["typology"] in AML_TYPOLOGIES
        ],
        "transactions": [
            len(json.loads(r["transaction_ids"])) for r in rows if r["typology"] in AML_TYPOLOGIES
        ],
    }


def _figures(
    txs: pa.Table, labels: pa.Table, customers: pa.Table, truth: pa.Table, img: Path
) -> dict[str, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    amounts = _amounts(txs)
    channel = np.array(txs.column("channel").to_pylist(), dtype=object)
    seg_of = dict(
        zip(
            customers.column("customer_id").to_pylist(),
            customers.column("segment").to_pylist(),
            strict=True,
        )
    )
    segment = np.array(
        [seg_of.get(c, "") for c in txs.column("customer_id").to_pylist()], dtype=object
    )
    _plot_amounts(
        plt,
        {c: amounts[channel == c] for c in set(channel)},
        "amount by channel",
        img / "sim_amount_by_channel.png",
    )
    _plot_amounts(
        plt,
        {s: amounts[segment == s] for s in set(segment)},
        "amount by segment",
        img / "sim_amount_by_segment.png",
    )
    micros = txs.column("occurred_at").cast(pa.int64()).to_numpy()
    hours = np.bincount((micros // 3_600_000_000) % 24, minlength=24)
    days = np.bincount(
        ((micros // 86_400_000_000) + 3) % 7, minlength=7
    )  # 1970-01-01 was a Thursday
    _plot_bars(
        plt,
        [str(h) for h in range(24)],
        hours.tolist(),
        "transactions by hour of day (UTC)",
        img / "sim_hour_of_day.png",
    )
    dow = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    _plot_bars(plt, dow, days.tolist(), "transactions by day of week", img / "sim_day_of_week.png")
    typ = truth.column("typology").to_pylist()
    counts = {t: typ.count(t) for t in sorted(set(typ))}
    _plot_bars(
        plt,
        list(counts),
        list(counts.values()),
        "typology instances",
        img / "sim_typology_counts.png",
    )
    sizes = _graph_sizes(truth)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(sizes["accounts"], sizes["transactions"], alpha=0.6)
    ax.set_xlabel("accounts per AML instance")
    ax.set_ylabel("transactions (edges) per AML instance")
    fig.tight_layout()
    fig.savefig(img / "sim_graph_sizes.png", dpi=90)
    plt.close(fig)
    fraud = labels.column("is_fraud").to_numpy(zero_copy_only=False)
    quantiles = np.percentile(amounts, [50, 90, 99, 99.9]).round(2).tolist()
    return {
        "transactions": txs.num_rows,
        "labelled": int(fraud.sum()),
        "instances": truth.num_rows,
        "amount_quantiles_p50_p90_p99_p999": quantiles,
        "by_channel": {c: int((channel == c).sum()) for c in sorted(set(channel))},
        "instances_by_typology": counts,
        "hour_of_day": hours.tolist(),
        "day_of_week": days.tolist(),
        "aml_accounts_median": float(np.median(sizes["accounts"])) if sizes["accounts"] else 0.0,
    }


def _markdown(scenario: Scenario, f: dict[str, Any]) -> str:
    share = f["labelled"] / max(f["transactions"], 1)
    quantiles = " / ".join(str(q) for q in f["amount_quantiles_p50_p90_p99_p999"])
    lines = [
        START,
        f"Generated by `finmon sim report --scenario {scenario.name}` (seed {scenario.seed}, "
        f"{scenario.days} days, {scenario.customers:,} customers).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| transactions | {f['transactions']:,} |",
        f"| labelled (fraud or AML) | {f['labelled']:,} ({share:.2%}) |",
        f"| typology instances | {f['instances']} |",
        f"| amount p50 / p90 / p99 / p99.9 (USD) | {quantiles} |",
        f"| median accounts per AML instance | {f['aml_accounts_median']} |",
        "",
        "| channel | transactions |",
        "|---|---|",
        *[f"| {c} | {n:,} |" for c, n in f["by_channel"].items()],
        "",
        "| typology | instances |",
        "|---|---|",
        *[f"| {t} | {n} |" for t, n in f["instances_by_typology"].items()],
        "",
        "![amount by channel](img/sim_amount_by_channel.png)",
        "![amount by segment](img/sim_amount_by_segment.png)",
        "![hour of day](img/sim_hour_of_day.png)",
        "![day of week](img/sim_day_of_week.png)",
        "![typology counts](img/sim_typology_counts.png)",
        "![graph sizes](img/sim_graph_sizes.png)",
        END,
    ]
    return "\n".join(lines)


def write_report(scenario: Scenario, docs: Path) -> dict[str, Any]:
    """Generate ``scenario``, write the plots and the figures section; returns the figures."""
    img = docs / "img"
    img.mkdir(parents=True, exist_ok=True)
    figures = _figures(*_collect(scenario), img)
    page = docs / "simulation.md"
    text = (
        page.read_text(encoding="utf-8") if page.exists() else f"# Simulation\n\n{START}\n{END}\n"
    )
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n## Realism report\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    page.write_text(head + _markdown(scenario, figures) + tail, encoding="utf-8")
    return {"page": str(page), "images": str(img), "figures": figures}


__all__ = ["END", "START", "write_report"]
