"""Checks on the plain arrays every model function takes, so a bad input fails by name.

The feature matrix comes from :mod:`finmon.monitor.features` as a float array
plus the names of its columns. A model trained on one column order and fed
another would score garbage silently, so the shapes, the names and the values
are checked at the door and a :class:`~finmon.core.errors.ValidationError`
names the argument that is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from finmon.core.errors import ValidationError

FloatMatrix = npt.NDArray[np.floating]
Vector = npt.NDArray[np.float64]


def matrix(x: object, n_features: int | None = None, *, field: str = "X") -> FloatMatrix:
    """``x`` as a 2-D float32/float64 array; refuse other shapes, dtypes and non-finite values."""
    if not isinstance(x, np.ndarray):
        raise ValidationError(f"{field} must be a numpy array", field=field, code="invalid_type")
    if x.ndim != 2:
        raise ValidationError(
            f"{field} must be 2-D (rows, features), got {x.ndim}-D", field=field, code="bad_shape"
        )
    if x.dtype not in (np.float32, np.float64):
        if not np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_:
            raise ValidationError(
                f"{field} must be numeric, got {x.dtype}", field=field, code="invalid_type"
            )
        x = x.astype(np.float64)
    if n_features is not None and x.shape[1] != n_features:
        raise ValidationError(
            f"{field} has {x.shape[1]} columns, the model expects {n_features}",
            field=field,
            code="feature_mismatch",
        )
    if x.size and not np.isfinite(x).all():
        raise ValidationError(
            f"{field} holds NaN or infinite values", field=field, code="not_finite"
        )
    return x


def names(feature_names: Sequence[str], n_features: int) -> tuple[str, ...]:
    """Feature names as a tuple: one per column, unique, non-empty strings."""
    out = tuple(feature_names)
    if len(out) != n_features:
        raise ValidationError(
            f"{len(out)} feature names for {n_features} columns",
            field="feature_names",
            code="feature_mismatch",
        )
    if any(not isinstance(n, str) or not n for n in out):
        raise ValidationError(
            "feature names must be non-empty strings", field="feature_names", code="invalid"
        )
    if len(set(out)) != len(out):
        raise ValidationError(
            "feature names must be unique", field="feature_names", code="duplicate"
        )
    return out


def labels(y: object, n_rows: int) -> npt.NDArray[np.bool_]:
    """Labels as a bool vector of ``n_rows``; 0/1 integers are accepted, anything else not."""
    if not isinstance(y, np.ndarray) or y.ndim != 1 or y.shape[0] != n_rows:
        raise ValidationError(
            f"y must be a 1-D array of {n_rows} labels", field="y", code="bad_shape"
        )
    if y.dtype == np.bool_:
        return y
    if np.issubdtype(y.dtype, np.integer) and np.isin(y, (0, 1)).all():
        return y.astype(np.bool_)
    raise ValidationError("y must be boolean (or 0/1)", field="y", code="invalid_type")


def event_times(times_us: object, n_rows: int) -> npt.NDArray[np.int64]:
    """Event times (µs since the epoch) as an int64 vector of ``n_rows``."""
    if (
        not isinstance(times_us, np.ndarray)
        or times_us.ndim != 1
        or times_us.shape[0] != n_rows
        or not np.issubdtype(times_us.dtype, np.integer)
    ):
        raise ValidationError(
            f"times_us must be a 1-D integer array of {n_rows} event times",
            field="times_us",
            code="bad_shape",
        )
    return times_us.astype(np.int64, copy=False)


def version_text(value: str, field: str) -> str:
    """A non-empty identifier string (feature set version, author)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field} must be a non-empty string", field=field, code="missing")
    return value
