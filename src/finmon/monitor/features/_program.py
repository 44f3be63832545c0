"""The registry compiled into a few grouped updaters, one per entity kind.

Interpreting ~70 feature definitions per transaction would cost far more than
the arithmetic itself, so the definitions are grouped once: per entity kind,
the additive slots (counts, sums, sums of squares) and counted values
(distinct, first seen, hour bucket) each window must keep, and where each
feature reads its value from. The online hot loop then walks small tuples of
integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from finmon.monitor.features._shared import FILTER_POS, US_PER_S, window_key
from finmon.monitor.features.registry import FEATURE_INDEX, FEATURES, FeatureDef

#: Additive slot kinds: how an event contributes to a running integer. ``BUCKET + k``
#: counts events in the k-th 3-hour bucket of the UTC day.
COUNT, SUM, SUMSQ, BUCKET = 0, 1, 2, 3


@dataclass(slots=True)
class WindowProgram:
    """What one window of one entity kind keeps and which features read it.

    Additive features read prefix sums (``cum`` of the newest event minus
    ``cum`` of the last expired one), so a window only moves its start index;
    distinct values need per-window counters.
    """

    width: int
    ctr_slots: list[int] = field(default_factory=list)
    has_max: bool = False
    sums: list[tuple[int, int]] = field(default_factory=list)
    distincts: list[tuple[int, int]] = field(default_factory=list)
    maxes: list[int] = field(default_factory=list)
    ratios: list[tuple[int, int, int, float]] = field(default_factory=list)
    zscores: list[tuple[int, int, int, int]] = field(default_factory=list)
    ratio_means: list[tuple[int, int, int]] = field(default_factory=list)
    ratio_maxes: list[tuple[int, int]] = field(default_factory=list)
    hour_shares: list[tuple[int, int, int]] = field(default_factory=list)
    has_derived: bool = False

    def ctr_slot(self, slot: int) -> int:
        if slot not in self.ctr_slots:
            self.ctr_slots.append(slot)
        return self.ctr_slots.index(slot)


@dataclass(slots=True)
class EntityProgram:
    """Everything the online engine does for one entity kind."""

    entity: str
    contrib: list[tuple[int, int]] = field(default_factory=list)
    values: list[tuple[str, int]] = field(default_factory=list)
    windows: list[WindowProgram] = field(default_factory=list)
    first_seens: list[tuple[int, int, int]] = field(default_factory=list)
    bucket_slot: int = -1
    since_last: int = -1
    distance: int = -1
    speed: int = -1
    since_cap_us: int = 0
    loc_width: int = 0
    retention: int = 0

    def contrib_slot(self, kind: int, flt: str | None) -> int:
        item = (kind, FILTER_POS[flt])
        if item not in self.contrib:
            self.contrib.append(item)
        return self.contrib.index(item)

    def value_slot(self, value: str, flt: str | None) -> int:
        item = (value, FILTER_POS[flt])
        if item not in self.values:
            self.values.append(item)
        return self.values.index(item)

    def buckets(self) -> int:
        """The first of the eight bucket slots (added on first use)."""
        if self.bucket_slot < 0:
            self.bucket_slot = len(self.contrib)
            self.contrib.extend((BUCKET + k, 0) for k in range(8))
        return self.bucket_slot

    def window(self, width: int) -> WindowProgram:
        for w in self.windows:
            if w.width == width:
                return w
        w = WindowProgram(width)
        self.windows.append(w)
        self.windows.sort(key=lambda x: x.width)
        return w


_WINDOWED = {"count", "sum", "max", "distinct", "ratio"}
_PREV = {"prev_zscore", "prev_ratio_mean", "prev_ratio_max", "first_seen", "hour_share"}


def _compile_windowed(p: EntityProgram, d: FeatureDef, out: int) -> None:
    w = p.window(window_key(d.window_s))
    if d.kind == "count":
        w.sums.append((out, p.contrib_slot(COUNT, d.filter)))
    elif d.kind == "sum":
        w.sums.append((out, p.contrib_slot(SUM, d.filter)))
    elif d.kind == "max":
        w.has_max = True
        w.maxes.append(out)
    elif d.kind == "distinct":
        w.distincts.append((out, w.ctr_slot(p.value_slot(d.value or "", d.filter))))
    else:
        num = p.contrib_slot(SUM, d.filter)
        den = p.contrib_slot(SUM, d.denominator)
        w.ratios.append((out, num, den, d.cap if d.cap is not None else float("inf")))
        w.has_derived = True


def _compile_prev(p: EntityProgram, d: FeatureDef, out: int) -> None:
    if d.kind == "first_seen":
        # "seen in the previous w" only needs the value's newest key, not a window
        p.first_seens.append((out, p.value_slot(d.value or "", None), window_key(d.window_s)))
        return
    w = p.window(window_key(d.window_s))
    w.has_derived = True
    n = p.contrib_slot(COUNT, None)
    if d.kind == "prev_zscore":
        s = p.contrib_slot(SUM, None)
        q = p.contrib_slot(SUMSQ, None)
        w.zscores.append((out, n, s, q))
    elif d.kind == "prev_ratio_mean":
        w.ratio_means.append((out, n, p.contrib_slot(SUM, None)))
    elif d.kind == "prev_ratio_max":
        w.has_max = True
        w.ratio_maxes.append((out, n))
    else:
        w.hour_shares.append((out, n, p.buckets()))


def compile_programs() -> list[EntityProgram]:
    """One program per stateful entity kind, in registry order."""
    programs: dict[str, EntityProgram] = {}
    for d in FEATURES:
        if d.entity == "row":
            continue
        p = programs.setdefault(d.entity, EntityProgram(d.entity))
        out = FEATURE_INDEX[d.name]
        p.retention = max(p.retention, window_key(d.window_s))
        if d.kind in _WINDOWED:
            _compile_windowed(p, d, out)
        elif d.kind in _PREV:
            _compile_prev(p, d, out)
        elif d.kind == "since_last":
            p.since_last = out
            p.since_cap_us = d.window_s * US_PER_S
        elif d.kind == "prev_distance":
            p.distance = out
            p.loc_width = window_key(d.window_s)
        elif d.kind == "prev_speed":
            p.speed = out
            p.loc_width = window_key(d.window_s)
        else:  # pragma: no cover - the registry's kinds are closed
            raise ValueError(f"{d.name}: kind {d.kind} has no online program")
    return list(programs.values())


__all__ = ["BUCKET", "COUNT", "SUM", "SUMSQ", "EntityProgram", "WindowProgram", "compile_programs"]
