"""finmon.monitor, the real-time monitoring engine: features, rules, models, decisions.

A transaction goes through :mod:`~finmon.monitor.features` (per-entity windows
kept in memory, the same definitions computed column-wise for training),
:mod:`~finmon.monitor.rules` (YAML rule sets compiled from a checked AST),
:mod:`~finmon.monitor.models` (gradient-boosted trees with exact SHAP
contributions, Isolation Forest, streaming Half-Space Trees, a registry) and
:mod:`~finmon.monitor.engine` (score 0-100, reasons, approve/review/block).
"""
