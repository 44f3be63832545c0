"""Rules: YAML rule sets whose expressions are checked against an allow-list, then compiled.

* :class:`RuleSet` — parse, validate and compile a document; ``evaluate`` one
  transaction's values (µs), ``evaluate_frame`` a whole frame (backtests).
* :class:`RuleStore` — versions in SQLite: save (validated first), activate /
  roll back, history with who, when and a per-rule diff.
* :func:`backtest` — alerts, precision and recall per rule and per typology.
* :func:`default_ruleset` — the shipped ``default.yaml`` (fraud typologies, AML basics).
"""

from finmon.monitor.rules.backtest import BacktestReport, Counts, RuleBacktest, backtest
from finmon.monitor.rules.check import FUNCTIONS, ExpressionError
from finmon.monitor.rules.document import RuleProblem, RuleSetError
from finmon.monitor.rules.names import CATALOGUE, FIELD_KINDS, feature_names, known_names
from finmon.monitor.rules.ruleset import (
    Rule,
    RuleHit,
    RuleSet,
    default_ruleset,
    default_ruleset_text,
)
from finmon.monitor.rules.store import RuleChange, RuleDiff, RuleSetVersion, RuleStore, diff

__all__ = [
    "CATALOGUE",
    "FIELD_KINDS",
    "FUNCTIONS",
    "BacktestReport",
    "Counts",
    "ExpressionError",
    "Rule",
    "RuleBacktest",
    "RuleChange",
    "RuleDiff",
    "RuleHit",
    "RuleProblem",
    "RuleSet",
    "RuleSetError",
    "RuleSetVersion",
    "RuleStore",
    "backtest",
    "default_ruleset",
    "default_ruleset_text",
    "diff",
    "feature_names",
    "known_names",
]
