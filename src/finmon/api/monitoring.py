"""The API's monitoring engine: one per app, built on first use, swapped in place on change.

Why one engine and one lock. Features are stateful (windows per account,
card, device ...), so every transaction must pass through the *same* engine,
in arrival order, exactly once: a second engine would see half the history,
and scoring a retried transaction again would count it twice. So
:class:`Monitoring` holds a single :class:`~finmon.monitor.engine.Engine`
(``build_engine``: the active rule set and the verified champion) and a lock
around everything that reads or changes it. :meth:`Monitoring.decide` looks
up the decisions already stored, scores only the transactions that have none
(one ``score_many`` call), persists them idempotently and answers, all under
that lock, so a retry (or two concurrent requests for one id) returns the
first decision and never touches the features again.

Rule and model changes go through their stores first (the rule store and the
model registry keep the who-when-what history and refuse broken inputs), and
only then swap the engine's ``rules`` / ``model`` / ``challenger`` attributes
under the same lock: the feature state survives, and a refused change leaves
the engine exactly as it was. A model is always loaded with the engine's
feature-set version; a tampered file is a 409, a model for another feature
set a 422, and the old champion keeps serving either way.

The monitor's modules (polars, xgboost) are imported on first use, so the API
starts as fast as before for callers that never score.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from finmon.audit import AuditTrail
from finmon.audit.trail import AUDIT_PREFIX, AuditEntry
from finmon.core.clock import Clock
from finmon.core.errors import ConflictError, IntegrityError, ValidationError
from finmon.core.settings import Settings
from finmon.events.log import Log

if TYPE_CHECKING:
    from finmon.monitor.decision import Outcome
    from finmon.monitor.engine import Engine
    from finmon.monitor.models import ModelRegistry, ModelVersion, TrainedModel
    from finmon.monitor.pipeline.store import DecisionStore, StoredDecision
    from finmon.monitor.rules import RuleProblem, RuleSet, RuleSetVersion, RuleStore
    from finmon.monitor.transaction import Txn

MONITOR_ACTIONS = (
    "rules_deployed",
    "rules_activated",
    "model_promoted",
    "model_rolled_back",
    "model_challenger_set",
    "model_challenger_cleared",
)
"""Audit actions of the monitoring endpoints (beside :data:`finmon.audit.trail.ACTIONS`)."""


class ApiAuditTrail(AuditTrail):
    """The audit trail, also knowing the monitoring actions the API records."""

    def __init__(self, log: Log, clock: Clock) -> None:
        from finmon.api.aml import AML_ACTIONS

        super().__init__(log, clock)
        for action in (*MONITOR_ACTIONS, *AML_ACTIONS):
            self._registry.register(
                f"{AUDIT_PREFIX}{action}", AuditEntry, description=f"audit: {action}"
            )


@dataclass(frozen=True, slots=True)
class ActiveRules:
    """The rule set in force: a stored revision, or the shipped default (``revision`` None)."""

    ruleset: RuleSet
    revision: RuleSetVersion | None


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """The verdict on a rule-set text: its problems (empty when it compiles)."""

    problems: tuple[RuleProblem, ...]
    ruleset: RuleSet | None


@dataclass(frozen=True, slots=True)
class ModelChange:
    """A change of the serving models: the version now in the role, and the one before."""

    version: str | None
    previous: str | None


class Monitoring:
    """One engine, its decision store, the rule store and the model registry of an app."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._engine: Engine | None = None
        self._champion_problem: str | None = None
        self._engine_lock = threading.Lock()  # scoring and swaps: features see one order
        self._admin_lock = threading.Lock()  # rule and model changes, store then swap
        self._open_lock = threading.Lock()
        self._decisions: DecisionStore | None = None
        self._rules: RuleStore | None = None
        self._registry: ModelRegistry | None = None

    # -- the parts, opened on first use -------------------------------------------

    @property
    def directory(self) -> Path:
        return self.settings.data_dir / "monitor"

    @property
    def decisions(self) -> DecisionStore:
        """``<data_dir>/monitor/decisions.db`` (shared with ``finmon monitor``'s pipeline)."""
        if self._decisions is None:
            with self._open_lock:
                if self._decisions is None:
                    from finmon.monitor.pipeline.store import DecisionStore

                    self.directory.mkdir(parents=True, exist_ok=True)
                    self._decisions = DecisionStore(self.directory / "decisions.db")
        return self._decisions

    @property
    def rule_store(self) -> RuleStore:
        if self._rules is None:
            with self._open_lock:
                if self._rules is None:
                    from finmon.monitor.service import open_rule_store

                    self._rules = open_rule_store(self.settings, self.clock)
        return self._rules

    @property
    def registry(self) -> ModelRegistry:
        if self._registry is None:
            with self._open_lock:
                if self._registry is None:
                    from finmon.monitor.service import open_registry

                    self._registry = open_registry(self.settings, self.clock)
        return self._registry

    def _engine_locked(self) -> Engine:
        """The engine (caller holds the engine lock); built on first use."""
        if self._engine is None:
            from finmon.monitor.service import build_engine

            engine, champion = build_engine(self.settings, clock=self.clock)
            self._engine = engine
            self._champion_problem = champion.problem if champion.model is None else None
        return self._engine

    def engine_state(self) -> tuple[str | None, str | None, str, str | None]:
        """(serving model version, challenger version, rule-set version, why no model)."""
        with self._engine_lock:
            engine = self._engine_locked()
            return (
                None if engine.model is None else engine.model.version,
                None if engine.challenger is None else engine.challenger.version,
                engine.ruleset_version,
                self._champion_problem,
            )

    def close(self) -> None:
        with self._open_lock:
            for part in (self._decisions, self._rules):
                if part is not None:
                    part.close()
            self._decisions = None
            self._rules = None

    # -- scoring ------------------------------------------------------------------

    def decide(self, txns: Sequence[Txn]) -> list[StoredDecision]:
        """Each transaction's decision: the stored one, else a new one (scored once, stored).

        The transactions without a stored decision are scored in one
        ``score_many`` call, in the order given; a transaction id repeated in
        ``txns`` is scored once and answered with the same decision.
        """
        from finmon.monitor.pipeline.store import StoredDecision
        from finmon.monitor.transaction import to_micros

        ids = [t.transaction_id for t in txns]
        with self._engine_lock:
            engine = self._engine_locked()
            found = self.decisions.get_many(ids)
            fresh: dict[str, Txn] = {}
            for txn in txns:
                if txn.transaction_id not in found:
                    fresh.setdefault(txn.transaction_id, txn)
            if fresh:
                made = engine.score_many(list(fresh.values()))
                now = to_micros(self.clock.now())
                records = [StoredDecision(d, now, fresh[d.transaction_id].account_id) for d in made]
                self.decisions.put_new(records)
                found.update((r.transaction_id, r) for r in records)
        return [found[tid] for tid in ids]

    def decision(self, transaction_id: str) -> StoredDecision | None:
        return self.decisions.get(transaction_id)

    def recent(self, limit: int, outcome: Outcome | None) -> list[StoredDecision]:
        return self.decisions.recent(limit, outcome)

    # -- rules --------------------------------------------------------------------

    def active_rules(self) -> ActiveRules:
        from finmon.monitor.rules import default_ruleset

        store = self.rule_store
        revision = store.active()
        ruleset = store.active_ruleset() if revision is not None else None
        return ActiveRules(ruleset or default_ruleset(), revision)

    def check_rules(self, text: str) -> RuleCheck:
        """Compile ``text`` without storing anything; every problem with its position."""
        from finmon.monitor.rules import RuleProblem, RuleSet, RuleSetError

        try:
            ruleset = RuleSet.from_yaml(text, names=self.rule_store.names, source="request")
        except yaml.YAMLError as exc:  # the YAML reader refused a character up front
            return RuleCheck((_yaml_problem(exc, text),), None)
        except RuleSetError as exc:
            return RuleCheck(exc.rule_problems, None)
        except ValidationError as exc:  # not located in the text: the whole document
            problems = tuple(
                RuleProblem(None, p.field, 1, 1, p.reason, p.code) for p in exc.problems
            )
            return RuleCheck(problems, None)
        return RuleCheck((), ruleset)

    def deploy_rules(self, text: str, author: str, comment: str) -> RuleSetVersion:
        """Save and activate ``text``; a refused set is recorded and the old one stays."""
        from finmon.monitor.rules import RuleSetError

        with self._admin_lock:
            try:
                version = self.rule_store.save(text, author, comment, activate=True)
            except yaml.YAMLError as exc:  # the YAML reader refused a character up front
                raise RuleSetError("request", [_yaml_problem(exc, text)]) from None
            self._swap_rules()
        return version

    def activate_rules(self, revision: int, author: str, comment: str) -> RuleSetVersion:
        """Make a stored revision active again (a rollback, or a re-deploy)."""
        with self._admin_lock:
            version = self.rule_store.activate(revision, author, comment)
            self._swap_rules()
        return version

    def _swap_rules(self) -> None:
        ruleset = self.rule_store.active_ruleset()
        with self._engine_lock:
            if self._engine is not None and ruleset is not None:
                self._engine.rules = ruleset  # the features (and their state) stay

    # -- models -------------------------------------------------------------------

    def describe(self, version: str) -> ModelVersion:
        return self.registry.describe(version)

    def verified(self, version: str) -> TrainedModel:
        """Load ``version`` for this engine's feature set, or refuse it with the reason.

        Raises:
            NotFoundError: no such version (404).
            ConflictError: a file is missing, altered or corrupt (409, ``model_refused``).
            ValidationError: trained on another feature set (422, ``feature_set_mismatch``).
        """
        from finmon.monitor.service import FEATURE_SET_VERSION

        try:
            return self.registry.load(version, expected_feature_set_version=FEATURE_SET_VERSION)
        except IntegrityError as exc:
            raise ConflictError(
                f"model {version} refused: {exc.message}",
                field=exc.field or "version",
                code="model_refused",
            ) from None

    def promote(self, version: str, author: str) -> ModelChange:
        """Make ``version`` the champion and serve it; a refused model changes nothing."""
        with self._admin_lock:
            model = self.verified(version)
            previous = self.registry.champion()
            self.registry.promote(version, author=author)
            with self._engine_lock:
                engine = self._engine_locked()
                engine.model = model
                if engine.challenger is not None and engine.challenger.version == version:
                    engine.challenger = None
                self._champion_problem = None
        return ModelChange(version, previous)

    def rollback(self, author: str) -> ModelChange:
        """Serve the previous champion again; if it no longer loads, the current one stays."""
        with self._admin_lock:
            current = self.registry.champion()
            try:
                target = self.registry.rollback(author=author)
            except IntegrityError as exc:
                raise ConflictError(
                    f"the previous champion is refused: {exc.message}",
                    field=exc.field or "version",
                    code="model_refused",
                ) from None
            try:
                model = self.verified(target)
            except (ConflictError, ValidationError):
                if current is not None:  # put the serving champion back in the registry
                    self.registry.promote(current, author=author)
                raise
            with self._engine_lock:
                self._engine_locked().model = model
                self._champion_problem = None
        return ModelChange(target, current)

    def set_challenger(self, version: str | None, author: str) -> ModelChange:
        """Shadow-score ``version`` beside the champion (None stops the shadow)."""
        with self._admin_lock:
            model = None if version is None else self.verified(version)
            previous = self.registry.challenger()
            self.registry.set_challenger(version, author=author)
            with self._engine_lock:
                self._engine_locked().challenger = model
        return ModelChange(version, previous)


def _yaml_problem(exc: yaml.YAMLError, text: str) -> RuleProblem:
    """A YAML error the rule parser let through (e.g. a control character), located."""
    from finmon.monitor.rules import RuleProblem

    position = getattr(exc, "position", None)
    mark = getattr(exc, "problem_mark", None)
    if isinstance(position, int):
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
    elif mark is not None:
        line, column = mark.line + 1, mark.column + 1
    else:
        line, column = 1, 1
    reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
    return RuleProblem(None, "", line, column, f"YAML error: {reason}", "yaml")


def model_summary(version: ModelVersion) -> dict[str, Any]:
    """A registry version as the API shows it (training source from its note)."""
    from finmon.monitor.service import training_source
    from finmon.monitor.transaction import from_micros

    return {
        "version": version.version,
        "kind": version.kind,
        "created_at": version.created_at.isoformat(),
        "author": version.author,
        "feature_set_version": version.feature_set_version,
        "rows": version.rows,
        "positives": version.positives,
        "window_start": from_micros(version.window_start_us).isoformat(),
        "window_end": from_micros(version.window_end_us).isoformat(),
        "training_source": training_source(version),
        "metrics": version.metrics,
    }


__all__ = [
    "MONITOR_ACTIONS",
    "ActiveRules",
    "ApiAuditTrail",
    "ModelChange",
    "Monitoring",
    "RuleCheck",
    "model_summary",
]
