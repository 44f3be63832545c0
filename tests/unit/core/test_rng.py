"""Seeded streams: stable, independent per name path, and refusing bad seeds."""

from __future__ import annotations

import pytest

from finmon.core.errors import ValidationError
from finmon.core.rng import derive_seed, seeded_rng


def draws(seed: int, *names: str) -> list[float]:
    rng = seeded_rng(seed, *names)
    return [rng.random() for _ in range(5)]


def test_same_seed_and_names_give_the_same_stream() -> None:
    assert draws(42, "sim", "population") == draws(42, "sim", "population")


def test_derived_seeds_are_pinned() -> None:
    # Changing the derivation would silently change every recorded simulation;
    # this pin makes such a change a visible, deliberate break.
    assert derive_seed(0) == 0x7CBD1C5C03B008B8
    assert derive_seed(42, "sim", "population") == 16971988185655618410
    assert 0 <= derive_seed(42, "sim") < 2**64


def test_streams_differ_by_seed_and_by_name_path() -> None:
    seeds = {
        derive_seed(42),
        derive_seed(43),
        derive_seed(42, "sim"),
        derive_seed(42, "sim", "population"),
        derive_seed(42, "sim", "merchants"),
        derive_seed(42, "simpopulation"),
        derive_seed(42, "si", "mpopulation"),
        derive_seed(42, "sim", ""),
    }
    assert len(seeds) == 8


def test_adding_a_consumer_does_not_shift_other_streams() -> None:
    before = draws(7, "sim", "population")
    _ = draws(7, "sim", "new-consumer")
    assert draws(7, "sim", "population") == before


def test_huge_seeds_and_unicode_names_work() -> None:
    assert derive_seed(2**200, "zahlungsverkehr", "größe") != derive_seed(2**200, "x")


@pytest.mark.parametrize("bad", [-1, 1.0, "42", None, True])
def test_bad_seeds_are_refused(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        seeded_rng(bad)  # type: ignore[arg-type]
    assert caught.value.field == "seed"


def test_non_string_names_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        derive_seed(1, "sim", 2)  # type: ignore[arg-type]
    assert caught.value.field == "names"
