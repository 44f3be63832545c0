"""Scenario files: what to simulate, validated before anything is generated.

A scenario is a TOML file: population size, duration and start, the typology
mix and rates, the seed. The shipped ones live in ``finmon/sim/scenarios/`` as
package data (read with :mod:`importlib.resources`, so they work from a wheel);
any other path works too. Every key is checked: a misspelt key or a bad value is
a :class:`~finmon.core.errors.ValidationError` whose problems name the field
(``typologies.structuring.size``), never a silently ignored setting.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from finmon.core.errors import Problem, ValidationError
from finmon.sim.names import TYPOLOGIES

TypologyName = Literal[TYPOLOGIES]  # type: ignore[valid-type]
_FOLDER = "scenarios"  # data folder inside the finmon.sim package


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_range(value: tuple[float, float] | None, what: str) -> None:
    if value is not None and value[0] > value[1]:
        raise ValueError(f"{what}: the low end {value[0]} is above the high end {value[1]}")


class TypologySpec(_Strict):
    """How often one typology is injected and how big its instances are.

    Attributes:
        instances: exact number of instances; wins over the rate.
        per_10k_customers: instances per 10,000 customers when ``instances`` is unset.
        size: accounts per instance (cards, victims or mules for fraud typologies).
        days: how long one instance lasts, in days.
        amount: the typical amount per transaction, in major units (dollars).
    """

    instances: int | None = Field(default=None, ge=0, le=100_000)
    per_10k_customers: float = Field(default=0.0, ge=0.0, le=10_000.0)
    size: tuple[Annotated[int, Field(ge=1, le=100_000)], Annotated[int, Field(ge=1)]] | None = None
    days: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] | None = None
    amount: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] | None = None

    @model_validator(mode="after")
    def _ranges(self) -> TypologySpec:
        _check_range(self.size, "size")
        _check_range(self.days, "days")
        _check_range(self.amount, "amount")
        return self

    def count(self, customers: int) -> int:
        if self.instances is not None:
            return self.instances
        return round(self.per_10k_customers * customers / 10_000)


class PopulationSpec(_Strict):
    """Shares of the population with a given trait (all between 0 and 1)."""

    business_share: float = Field(default=0.08, ge=0.0, le=0.5)
    foreign_share: float = Field(default=0.07, ge=0.0, le=0.5)
    pep_share: float = Field(default=0.003, ge=0.0, le=0.1)
    dormant_share: float = Field(default=0.04, ge=0.0, le=0.5)
    digital_share: float = Field(default=0.85, ge=0.0, le=1.0)
    traveller_share: float = Field(default=0.03, ge=0.0, le=0.5)
    new_device_share: float = Field(default=0.02, ge=0.0, le=0.5)
    activity: float = Field(default=1.0, gt=0.0, le=100.0)


class FaultSpec(_Strict):
    """Fault ratios for streams (see :mod:`finmon.sim.faults`)."""

    duplicates: float = Field(default=0.0, ge=0.0, le=0.5)
    out_of_order: float = Field(default=0.0, ge=0.0, le=0.5)
    late: float = Field(default=0.0, ge=0.0, le=0.5)
    malformed: float = Field(default=0.0, ge=0.0, le=0.5)


class Scenario(_Strict):
    """One simulation run, fully described.

    Attributes:
        name: the scenario's name.
        description: what it is for.
        seed: root seed; every random stream derives from it.
        start: the simulated start instant (timezone-aware; stored as UTC).
        days: simulated duration in days.
        customers: population size (ignored when ``transactions`` is set: then the
            population is scaled to reach that many transactions).
        merchants: number of merchants.
        transactions: exact number of transactions to emit, or None for whatever
            the population produces.
        reporting_threshold: the cash reporting threshold in dollars (a string).
        training: False for a hold-out scenario that must never be trained on.
    """

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    seed: int = Field(ge=0, lt=2**63)
    start: AwareDatetime
    days: int = Field(ge=1, le=366)
    customers: int = Field(ge=50, le=5_000_000)
    merchants: int = Field(default=500, ge=50, le=1_000_000)
    transactions: int | None = Field(default=None, ge=1, le=1_000_000_000)
    reporting_threshold: Decimal = Field(default=Decimal("10000.00"), gt=0, decimal_places=2)
    training: bool = True
    population: PopulationSpec = PopulationSpec()
    typologies: dict[TypologyName, TypologySpec] = Field(default_factory=dict)
    faults: FaultSpec = FaultSpec()

    def start_utc(self) -> datetime:
        from datetime import UTC

        return self.start.astimezone(UTC)


def _problems(error: pydantic.ValidationError, prefix: str = "") -> list[Problem]:
    problems = []
    for item in error.errors():
        parts = [str(p) for p in item["loc"] if p != "[key]"]
        field = ".".join([prefix, *parts] if prefix else parts)
        problems.append(Problem(field, item["msg"], str(item["type"])))
    return problems


def parse_scenario(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate scenario data (as read from TOML); raises ValidationError naming each field."""
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError.from_problems(f"invalid {source}", _problems(exc)) from None


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped with finmon."""
    folder = resources.files("finmon.sim").joinpath(_FOLDER)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _read_text(name_or_path: str) -> tuple[str, str]:
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path.read_text(encoding="utf-8"), str(path)
    resource = resources.files("finmon.sim").joinpath(_FOLDER, f"{name_or_path}.toml")
    if not resource.is_file():
        known = ", ".join(shipped_scenarios())
        raise ValidationError(
            f"no scenario {name_or_path!r} (shipped: {known}; or give a .toml path)",
            field="scenario",
        )
    return resource.read_text(encoding="utf-8"), f"scenario {name_or_path}"


def load_scenario(
    name_or_path: str, *, seed: int | None = None, transactions: int | None = None
) -> Scenario:
    """A shipped scenario by name, or a TOML file by path, with optional overrides."""
    text, source = _read_text(name_or_path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{source} is not valid TOML: {exc}", field="scenario") from None
    if seed is not None:
        data["seed"] = seed
    if transactions is not None:
        data["transactions"] = transactions
    return parse_scenario(data, source)


__all__ = [
    "FaultSpec",
    "PopulationSpec",
    "Scenario",
    "TypologySpec",
    "load_scenario",
    "parse_scenario",
    "shipped_scenarios",
]
