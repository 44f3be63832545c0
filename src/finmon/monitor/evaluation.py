"""Evaluation of rules alone, model alone and the two combined, on a labelled dataset.

The three are measured on the *same* transactions with the same policy so the
figures compare: rules alert when their points reach the review threshold, the
model when its probability (as a 0-100 score) does, the combination by the
engine's noisy-OR. The report is saved as JSON (for scripts and the docs) and
a PNG of the precision-recall curves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import orjson  # noqa: E402
from rich.table import Table  # noqa: E402

from finmon.monitor.metrics import DetectionReport, detection_report, pr_curve  # noqa: E402

DETECTORS = ("rules", "model", "combined")


@dataclass(slots=True)
class Scores:
    """One detector's 0-100 scores and its alert decisions, per transaction."""

    detector: str
    scores: np.ndarray | None
    alerted: np.ndarray


@dataclass(slots=True)
class EvaluationReport:
    """Rules, model and combined measured on one dataset."""

    dataset: str
    source: str
    model_version: str | None
    ruleset_version: str
    reports: dict[str, DetectionReport]
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source": self.source,
            "model_version": self.model_version,
            "ruleset_version": self.ruleset_version,
            **{name: report.to_dict() for name, report in self.reports.items()},
        }

    def save(self, directory: Path, stem: str = "evaluation") -> list[Path]:
        """Write ``<stem>.json`` and ``<stem>-pr.png``; returns the paths."""
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / f"{stem}.json"
        json_path.write_bytes(orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2))
        png_path = directory / f"{stem}-pr.png"
        figure, axes = plt.subplots(figsize=(6.4, 4.8), dpi=100)
        for name, (recall, precision) in self.curves.items():
            auc = self.reports[name].pr_auc
            label = f"{name} (PR-AUC {auc:.3f})" if auc is not None else name
            axes.step(recall, precision, where="post", label=label)
        axes.set_xlabel("recall")
        axes.set_ylabel("precision")
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1.02)
        axes.set_title(f"precision-recall on {self.dataset}")
        axes.legend(loc="lower left")
        axes.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(png_path)
        plt.close(figure)
        return [json_path, png_path]

    def summary_table(self) -> Table:
        table = Table(title=f"detection on {self.dataset}", title_justify="left")
        table.add_column("measure", style="bold")
        for name in self.reports:
            table.add_column(name, justify="right")
        rows = (
            ("PR-AUC", "pr_auc"),
            ("recall @ 1% FPR", "recall_at_fpr_1pct"),
            ("recall @ 0.1% FPR", "recall_at_fpr_0_1pct"),
            ("alerts", "alerts"),
            ("alert precision", "alert_precision"),
            ("alert recall", "alert_recall"),
            ("false-positive rate", "false_positive_rate"),
            ("median time to first alert (s)", "median_time_to_first_alert_s"),
        )
        for label, key in rows:
            table.add_row(label, *(_cell(getattr(r, key)) for r in self.reports.values()))
        return table

    def typology_table(self) -> Table:
        table = Table(title="instance recall by typology", title_justify="left")
        table.add_column("typology", style="bold")
        for name in self.reports:
            table.add_column(name, justify="right")
        typologies = sorted({t for r in self.reports.values() for t in r.per_typology})
        for typ in typologies:
            cells = []
            for report in self.reports.values():
                row = report.per_typology.get(typ)
                cells.append(
                    "-" if row is None else f"{row['instances_detected']}/{row['instances']}"
                )
            table.add_row(typ, *cells)
        return table


def _cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def build_report(
    *,
    dataset: str,
    source: str,
    model_version: str | None,
    ruleset_version: str,
    detectors: list[Scores],
    y: np.ndarray,
    typology: list[str],
    instance: list[str],
    times_us: np.ndarray,
) -> EvaluationReport:
    """Measure each detector on the same labels."""
    reports: dict[str, DetectionReport] = {}
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for d in detectors:
        reports[d.detector] = detection_report(
            d.detector, d.scores, d.alerted, y, typology, instance, times_us
        )
        if d.scores is not None and y.any() and not y.all():
            curves[d.detector] = pr_curve(d.scores, y)
    return EvaluationReport(dataset, source, model_version, ruleset_version, reports, curves)


__all__ = ["DETECTORS", "EvaluationReport", "Scores", "build_report"]
