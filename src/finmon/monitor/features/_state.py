"""One entity's state and the hot path that advances it (see :mod:`.online` for semantics).

Kept apart from the engine so the part that runs ~15 times a transaction can
be read (and profiled) on its own: an entity keeps its retained events in key
order, each carrying the prefix sums of its contributions; a window is a start
index, the prefix sums where it starts and, for distinct counts, value counters.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from operator import add, itemgetter
from typing import Any, cast

from finmon.monitor.features._program import (
    BUCKET,
    COUNT,
    SUM,
    SUMSQ,
    EntityProgram,
    WindowProgram,
)
from finmon.monitor.features._shared import (
    US_PER_HOUR,
    haversine_km,
    ratio_or_one,
    speed_kmh,
    zscore,
)

# An event as an entity stores it: (key, t_us, contributions, values, lat, lon, amount,
# flag bits, prefix sums of the contributions up to and including it; () until stored).
Event = tuple[
    int,
    int,
    tuple[int, ...],
    tuple[Any, ...],
    float | None,
    float | None,
    int,
    int,
    tuple[int, ...],
]


class EntityState:
    """One entity's retained events and, per window, its running aggregates."""

    __slots__ = ("base", "ctrs", "events", "head", "lo", "loc", "maxq", "seen")

    def __init__(self, prog: EntityProgram) -> None:
        self.events: list[Event] = []
        self.head = 0
        self.lo = [0] * len(prog.windows)
        zero = (0,) * len(prog.contrib)
        self.base = [zero] * len(prog.windows)
        self.seen: list[dict[Any, int]] = [{} for _ in prog.first_seens]
        self.ctrs: list[list[dict[Any, int]]] = [[{} for _ in w.ctr_slots] for w in prog.windows]
        self.maxq: list[deque[tuple[int, int]]] = [deque() for _ in prog.windows]
        self.loc: tuple[int, int, float, float] | None = None


def contributions(
    spec: list[tuple[int, int]], amount: int, flags: tuple[bool, ...], t: int
) -> tuple[int, ...]:
    """What the event adds to each of the entity's running sums."""
    bucket = BUCKET + (t // US_PER_HOUR) % 24 // 3
    return tuple(
        (
            1
            if kind == COUNT
            else amount
            if kind == SUM
            else amount * amount
            if kind == SUMSQ
            else int(kind == bucket)
        )
        if flags[f]
        else 0
        for kind, f in spec
    )


Picker = Callable[[Sequence[Any]], tuple[Any, ...]]


def picker(indices: list[int]) -> Picker:
    """``seq -> tuple(seq[i] for i in indices)``, in C where it can be."""
    if not indices:
        return lambda _seq: ()
    if len(indices) == 1:
        only = indices[0]
        return lambda seq: (seq[only],)
    return cast(Picker, itemgetter(*indices))


def live_events(st: EntityState) -> list[Event]:
    """The retained events (a copy when the head has not been compacted away)."""
    return st.events[st.head :] if st.head else st.events


def advance(
    prog: EntityProgram, st: EntityState, ev: Event, out: list[float], retention: int
) -> None:
    """Add an in-order event to ``st`` and write its features into ``out``.

    The hot path: the event's prefix sums extend the previous event's; per
    window, the start index moves past expired events (only distinct-value
    counters need undoing), and each additive feature is a difference of two
    prefix sums. Kept flat: it runs ~15 times a transaction.
    """
    key, c = ev[0], ev[2]
    events = st.events
    if prog.since_last >= 0:
        _since_last(prog, st, ev[1], out)
    if prog.loc_width:
        _location(prog, st, ev, out)
    if prog.first_seens:
        _first_seen(prog, st, key, ev[3], out)
    cum = tuple(map(add, events[-1][8], c)) if events else c
    ev = (key, ev[1], c, ev[3], ev[4], ev[5], ev[6], ev[7], cum)
    events.append(ev)
    los = st.lo
    bases = st.base
    for wi, wp in enumerate(prog.windows):
        bound = key - wp.width
        lo = los[wi]
        if events[lo][0] <= bound:  # never runs past ``ev`` itself: its key > bound
            lo = los[wi] = _expire(events, lo, bound, wp, st.ctrs[wi])
            bases[wi] = events[lo - 1][8]
        base = bases[wi]
        if wp.ctr_slots:
            _count_values(wp.ctr_slots, st.ctrs[wi], ev[3])
        prev_max = _push_max(wp, st.maxq[wi], key, ev[6], bound, out) if wp.has_max else 0
        for o, s in wp.sums:
            out[o] = cum[s] - base[s]
        for o, j in wp.distincts:
            out[o] = len(st.ctrs[wi][j])
        if wp.has_derived:
            _derived(wp, cum, base, ev, out, prev_max)
    _retain(prog, st, key, retention)


def _count_values(slots: list[int], ctrs: list[dict[Any, int]], vals: tuple[Any, ...]) -> None:
    for j, s in enumerate(slots):
        v = vals[s]
        if v is not None:
            ctr = ctrs[j]
            ctr[v] = ctr.get(v, 0) + 1


def _first_seen(
    prog: EntityProgram, st: EntityState, key: int, vals: tuple[Any, ...], out: list[float]
) -> None:
    """1 when the value's newest earlier sighting is absent or at least a window old."""
    for (o, slot, width), seen in zip(prog.first_seens, st.seen, strict=True):
        v = vals[slot]
        if v is not None:
            last = seen.get(v)
            if last is None or last <= key - width:
                out[o] = 1.0
            seen[v] = key


def _since_last(prog: EntityProgram, st: EntityState, t: int, out: list[float]) -> None:
    cap = prog.since_cap_us
    elapsed = t - st.events[-1][1] if st.events else cap
    out[prog.since_last] = min(elapsed, cap) / 1_000_000


def _expire(
    events: list[Event], lo: int, bound: int, wp: WindowProgram, ctrs: list[dict[Any, int]]
) -> int:
    """The window's new start past events with key <= ``bound``, undoing their values."""
    ctr_slots = wp.ctr_slots
    if not ctr_slots:
        while events[lo][0] <= bound:
            lo += 1
        return lo
    while events[lo][0] <= bound:
        ov = events[lo][3]
        for j, s in enumerate(ctr_slots):
            v = ov[s]
            if v is not None:
                ctr = ctrs[j]
                m = ctr[v] - 1
                if m:
                    ctr[v] = m
                else:
                    del ctr[v]
        lo += 1
    return lo


def _push_max(
    wp: WindowProgram,
    mq: deque[tuple[int, int]],
    key: int,
    amount: int,
    bound: int,
    out: list[float],
) -> int:
    """Monotonic deque of the window's maximum; returns the max before this event."""
    while mq and mq[0][0] <= bound:
        mq.popleft()
    prev_max = mq[0][1] if mq else 0
    while mq and mq[-1][1] <= amount:
        mq.pop()
    mq.append((key, amount))
    for o in wp.maxes:
        out[o] = mq[0][1]
    return prev_max


def _retain(prog: EntityProgram, st: EntityState, key: int, retention: int) -> None:
    """Forget events no window (nor the lateness) can see again; compact now and then."""
    events = st.events
    head = st.head
    n = len(events)
    bound = key - retention
    while head < n and events[head][0] <= bound:
        head += 1
    if head > 64 and head * 2 > n:
        del events[:head]
        st.lo = [lo - head for lo in st.lo]
        head = 0
        for (_, _, width), seen in zip(prog.first_seens, st.seen, strict=True):
            stale = [v for v, k in seen.items() if k <= key - width]
            for v in stale:
                del seen[v]
    st.head = head


def _location(prog: EntityProgram, st: EntityState, ev: Event, out: list[float]) -> None:
    key, t, lat, lon = ev[0], ev[1], ev[4], ev[5]
    prev = st.loc
    if prev is not None and prev[0] > key - prog.loc_width:
        dist = (
            haversine_km(prev[2], prev[3], lat, lon) if lat is not None and lon is not None else 0.0
        )
        if lat is not None and lon is not None:
            if prog.distance >= 0:
                out[prog.distance] = dist
            if prog.speed >= 0:
                out[prog.speed] = speed_kmh(dist, t - prev[1])
    if lat is not None and lon is not None:
        st.loc = (key, t, lat, lon)


def _derived(
    wp: WindowProgram,
    cum: tuple[int, ...],
    base: tuple[int, ...],
    ev: Event,
    out: list[float],
    prev_max: int,
) -> None:
    """Ratios of the window, and its statistics without the current event ("prev")."""
    for o, num, den, cap in wp.ratios:
        d = cum[den] - base[den]
        out[o] = min((cum[num] - base[num]) / d, cap) if d > 0 else 0.0
    amount = ev[6]
    for o, n, s, q in wp.zscores:
        out[o] = zscore(
            amount,
            cum[n] - base[n] - 1,
            cum[s] - base[s] - amount,
            cum[q] - base[q] - amount * amount,
        )
    for o, n, s in wp.ratio_means:
        out[o] = ratio_or_one(amount, cum[n] - base[n] - 1, cum[s] - base[s] - amount)
    for o, n in wp.ratio_maxes:
        out[o] = ratio_or_one(amount, 1, prev_max) if cum[n] - base[n] > 1 else 1.0
    for o, n, b0 in wp.hour_shares:
        prev_n = cum[n] - base[n] - 1
        b = b0 + (ev[1] // US_PER_HOUR) % 24 // 3
        out[o] = (cum[b] - base[b] - 1) / prev_n if prev_n > 0 else 1.0


__all__ = ["EntityState", "Event", "Picker", "advance", "contributions", "live_events", "picker"]
