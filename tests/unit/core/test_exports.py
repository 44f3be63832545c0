"""finmon.core's __all__ is the public kernel API: complete, importable, sorted."""

from __future__ import annotations

import importlib
import inspect

import finmon.core

SUBMODULES = ["clock", "currency", "errors", "ids", "money", "rng", "settings"]


def test_every_name_in_all_is_importable() -> None:
    for name in finmon.core.__all__:
        assert getattr(finmon.core, name) is not None, name


def test_all_is_sorted_and_unique() -> None:
    names = finmon.core.__all__
    assert len(set(names)) == len(names)
    classes = [n for n in names if n[0].isupper()]
    functions = [n for n in names if not n[0].isupper()]
    assert names == sorted(classes) + sorted(functions)


def test_every_submodule_export_is_re_exported() -> None:
    for module_name in SUBMODULES:
        module = importlib.import_module(f"finmon.core.{module_name}")
        for name in module.__all__:
            assert name in finmon.core.__all__, f"finmon.core.{module_name}.{name}"
            assert getattr(finmon.core, name) is getattr(module, name)


def test_the_promised_api_is_there() -> None:
    promised = {
        "Money",
        "Currency",
        "get_currency",
        "register_currency",
        "all_currencies",
        "allocate",
        "sum_money",
        "Clock",
        "SystemClock",
        "SimulatedClock",
        "ensure_utc",
        "IdGenerator",
        "new_id",
        "uuid7_time",
        "seeded_rng",
        "derive_seed",
        "Settings",
        "load_settings",
        "Problem",
        "FinmonError",
        "ValidationError",
        "NotFoundError",
        "ConflictError",
        "UnauthorizedError",
        "ForbiddenError",
        "UnavailableError",
        "IntegrityError",
    }
    assert promised <= set(finmon.core.__all__)


def test_every_error_class_is_exported() -> None:
    from finmon.core import errors

    for name, obj in vars(errors).items():
        if inspect.isclass(obj) and issubclass(obj, errors.FinmonError):
            assert name in finmon.core.__all__, name
