"""The AML services of one app: the sanctions screener and the transaction graph.

Both are expensive to build and cheap to ask, so each app builds them once,
lazily, and keeps them:

* :class:`Screening` holds the :class:`~finmon.aml.screening.ListStore` under
  ``<data_dir>/screening`` (the same store ``finmon lists load`` writes) and one
  :class:`~finmon.aml.screening.Screener` over its active lists. Indexing the
  OFAC SDN list takes about a second and a query half a millisecond, so a
  request never builds the index: the screener is rebuilt only when the store's
  ``history.jsonl`` changed (every load and activation appends to it, whichever
  process made it; one ``stat`` per request tells), and a list uploaded through
  the API rebuilds it before the upload answers.
* :class:`GraphService` holds a :class:`~finmon.aml.graph.TransactionGraph` of
  the ``transaction.received`` events in the app's log. The first question
  reads the log from the start; every later one adds only the events appended
  since (``add_transactions``; a replayed transaction id changes nothing).

The AML modules (rapidfuzz, igraph, polars) are imported on first use, so the
API starts as fast as before for callers that never screen.
"""

from __future__ import annotations

import io
import shutil
import threading
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from finmon.core.clock import Clock
from finmon.core.errors import ConflictError, ValidationError
from finmon.core.settings import Settings
from finmon.events.log import Log

if TYPE_CHECKING:
    from finmon.aml.detectors import AmlDetectors, Finding
    from finmon.aml.graph import TransactionGraph
    from finmon.aml.kyc import NameScreener, ScreeningHit
    from finmon.aml.screening import ListStore, ListVersion, LoadResult, Screener

AML_ACTIONS = ("screening_list_loaded", "screening_list_activated", "kyc_onboarding_decided")
"""Audit actions of the AML endpoints (:class:`~finmon.api.monitoring.ApiAuditTrail` knows them)."""

LIST_FORMATS = ("ofac", "un", "eu", "ftm")
OFAC_FILES = frozenset(
    {
        "sdn.csv",
        "alt.csv",
        "add.csv",
        "sdn_comments.csv",
        "cons_prim.csv",
        "cons_alt.csv",
        "cons_add.csv",
        "cons_comments.csv",
    }
)
"""The files of an OFAC legacy CSV set a zip upload may hold (others are ignored)."""
MAX_UNZIPPED_BYTES = 256 << 20
"""An OFAC zip may not expand beyond this (the published set is about 10 MB)."""
_SINGLE_FILE = {"ofac": "sdn.csv", "un": "un.xml", "eu": "eu.xml", "ftm": "entities.ftm.json"}
_NO_LISTS = "no sanctions list is loaded: upload one with POST /v1/screening/lists"


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size


def _unzip_ofac(data: bytes, directory: Path) -> None:
    """Extract the OFAC CSV files of a zip into ``directory``; refuse bombs and odd archives."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ValidationError(
            f"not a zip archive: {exc}", field="body", code="malformed_list"
        ) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        wanted = [m for m in members if Path(m.filename).name.lower() in OFAC_FILES]
        if sum(m.file_size for m in wanted) > MAX_UNZIPPED_BYTES:
            raise ValidationError(
                f"the archive expands beyond {MAX_UNZIPPED_BYTES >> 20} MiB",
                field="body",
                code="too_large",
            )
        names = {Path(m.filename).name.lower() for m in wanted}
        if not names & {"sdn.csv", "cons_prim.csv"}:
            raise ValidationError(
                "the zip holds no sdn.csv or cons_prim.csv", field="body", code="malformed_list"
            )
        for member in wanted:
            target = directory / Path(member.filename).name.lower()
            with archive.open(member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            if target.stat().st_size > MAX_UNZIPPED_BYTES:  # pragma: no cover - sizes lie
                raise ValidationError("the archive is too large", field="body", code="too_large")


def stage_upload(data: bytes, fmt: str, directory: Path) -> Path:
    """Write an uploaded list where its loader expects it; returns the path to load.

    OFAC comes as a zip of the CSV set (``sdn.csv`` with ``alt.csv``,
    ``add.csv``, ``sdn_comments.csv``, or the ``cons_*`` files) or as the bare
    main CSV (``sdn.csv`` text: primary names, DOBs and weak a.k.a.s from the
    remarks, but no strong aliases or addresses). The other formats are one file.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if fmt == "ofac" and data[:4] == b"PK\x03\x04":
        _unzip_ofac(data, directory)
        return directory
    path = directory / _SINGLE_FILE[fmt]
    path.write_bytes(data)
    return path


class Screening:
    """The list store of an app and one screener over its active lists, rebuilt on change."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._store: ListStore | None = None
        self._screener: Screener | None = None
        self._lists: tuple[str, ...] = ()
        self._kyc: tuple[Screener, NameScreener] | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()  # building the index, and loads (store then rebuild)

    @property
    def directory(self) -> Path:
        return self.settings.data_dir / "screening"

    @property
    def store(self) -> ListStore:
        if self._store is None:
            from finmon.aml.screening import ListStore

            self._store = ListStore(self.directory, clock=self.clock)
        return self._store

    def _history(self) -> Path:
        return self.directory / "history.jsonl"

    def screener(self) -> Screener:
        """The screener over the active lists; a 409 ``no_lists`` when none is loaded."""
        return self.current()[0]

    def current(self) -> tuple[Screener, tuple[str, ...]]:
        """The screener and the active versions it holds (``list:vN``); 409 when none.

        Hot path: a ``stat`` of the history file, and the index only when it changed.
        """
        stamp = _stamp(self._history())
        built, lists = self._screener, self._lists
        if built is None or stamp != self._stamp:
            with self._lock:
                if self._screener is None or _stamp(self._history()) != self._stamp:
                    self._rebuild()
                built, lists = self._screener, self._lists
        assert built is not None  # noqa: S101 - _rebuild sets it
        if not built.entries:
            raise ConflictError(_NO_LISTS, field="lists", code="no_lists")
        return built, lists

    def _rebuild(self) -> None:
        """Index the active lists again (caller holds the lock)."""
        stamp = _stamp(self._history())
        active = self.store.active()
        self._screener = self.store.screener()
        self._lists = tuple(f"{v.list}:v{v.version}" for v in active)
        self._stamp = stamp

    def name_screener(self) -> tuple[NameScreener, tuple[str, ...]]:
        """The KYC seam over the same screener, and the lists it holds (409 when none)."""
        from finmon.aml.kyc.list_screener import ListScreener

        screener, lists = self.current()
        cached = self._kyc
        if cached is None or cached[0] is not screener:  # ListScreener indexes the PEPs once
            cached = (screener, LenientScreener(ListScreener(screener)))
            self._kyc = cached
        return cached[1], lists

    def load(self, data: bytes, fmt: str, list_name: str | None, loaded_by: str) -> LoadResult:
        """Store an uploaded list as the new active version and rebuild the screener.

        A malformed file is refused with the line (or element) and reason,
        naming the request ``body``; nothing is stored and the previous version
        stays active. The accepted file is kept under ``uploads/`` as the
        version's source.
        """
        if fmt not in LIST_FORMATS:
            raise ValidationError(
                f"format must be one of {', '.join(LIST_FORMATS)}", field="format", code="invalid"
            )
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%S")
        staging = self.directory / "uploads" / f"{stamp}-{uuid.uuid4().hex[:8]}"
        with self._lock:
            try:
                path = stage_upload(data, fmt, staging)
                result = self.store.load(path, fmt, list_name=list_name, loaded_by=loaded_by)
            except ValidationError as exc:
                shutil.rmtree(staging, ignore_errors=True)
                raise _located(exc, staging) from None
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            if not result.created:
                shutil.rmtree(staging, ignore_errors=True)
            self._rebuild()
        return result

    def activate(self, list_name: str, version: int, by: str) -> tuple[ListVersion, int | None]:
        """Make a stored version of a list active again and rebuild the screener.

        Returns the version now active and the one that was (``None`` if none).
        An unknown list is a 404 naming ``list``, an unknown version one naming
        ``version``.
        """
        from finmon.core.errors import NotFoundError

        with self._lock:
            versions = self.store.versions(list_name)
            if not versions:
                raise NotFoundError(f"no list named {list_name} is stored", field="list")
            if version not in {v.version for v in versions}:
                raise NotFoundError(f"list {list_name} has no version {version}", field="version")
            previous = next((v.version for v in versions if v.active), None)
            activated = self.store.activate(list_name, version, by=by)
            self._rebuild()
        return activated, previous


def _located(exc: ValidationError, staging: Path) -> ValidationError:
    """The loader's error without the server's paths; ``path`` errors concern the body."""
    prefix = f"{staging}/"
    message = exc.message.replace(prefix, "").replace(str(staging), "upload")
    field = "body" if exc.field in {"path", None} else exc.field
    return ValidationError(message, field=field, code=exc.code)


class LenientScreener:
    """The KYC seam, tolerant of what the onboarding checks already report.

    The screener refuses a country it cannot map or a malformed date of birth;
    onboarding reports those as failed checks naming the field, so here the
    fact is dropped and the name is screened without it rather than the whole
    decision failing. A name the screener cannot read yields no hits (the name
    check fails it).
    """

    def __init__(self, inner: NameScreener) -> None:
        self._inner = inner

    def screen(
        self, name: str, *, dob: date | None, country: str | None, entity_type: str
    ) -> list[ScreeningHit]:
        facts: dict[str, Any] = {"dob": dob, "country": country, "entity_type": entity_type}
        for _ in range(4):
            try:
                return self._inner.screen(name, **facts)
            except ValidationError as exc:
                if exc.field in {"dob", "country"} and facts[exc.field] is not None:
                    facts[exc.field] = None
                elif exc.field == "entity_type" and facts["entity_type"] != "individual":
                    facts["entity_type"] = "individual"
                else:
                    return []
        return []  # pragma: no cover - each fact is dropped at most once


@dataclass(frozen=True, slots=True)
class GraphState:
    """How much of the log the graph has read, and how many events it could not use."""

    last_seq: int
    transactions: int
    skipped: int
    nodes: int
    edges: int


def _rows(records: Iterator[Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    from finmon.sources.events import TRANSACTION_RECEIVED

    marker = f'"{TRANSACTION_RECEIVED}"'.encode()
    for record in records:
        if marker not in record.body:
            continue
        event = orjson.loads(record.body)
        if event.get("type") == TRANSACTION_RECEIVED:
            yield record.seq, event.get("payload") or {}


def _graph_row(payload: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(payload)
    occurred = row.get("occurred_at")
    if isinstance(occurred, str):
        row["occurred_at"] = datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    return row


class GraphService:
    """The transaction graph of the events this app received, kept up to date on each question."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self._graph: TransactionGraph | None = None
        self._last_seq = 0
        self._transactions = 0
        self._skipped = 0
        self._lock = threading.Lock()  # one reader of the log at a time; the graph is not shared

    def _catch_up(self) -> TransactionGraph:
        """Add the events appended since the last question (caller holds the lock)."""
        if self._graph is None:
            from finmon.aml.graph import TransactionGraph

            self._graph = TransactionGraph()
        head = self.log.head().seq
        if head > self._last_seq:
            for seq, payload in _rows(self.log.read(self._last_seq + 1, head)):
                try:
                    self._graph.add_transaction(_graph_row(payload))
                    self._transactions += 1
                except (ValidationError, ValueError, KeyError, TypeError):
                    self._skipped += 1  # stored before a rule changed; the graph skips it
                self._last_seq = seq
            self._last_seq = head
        return self._graph

    def query(self, question: Any) -> Any:
        """Run ``question(graph)`` on the up-to-date graph, under the lock."""
        with self._lock:
            return question(self._catch_up())

    def state(self) -> GraphState:
        with self._lock:
            graph = self._catch_up()
            nodes, edges = graph.node_count, graph.edge_count
            return GraphState(self._last_seq, self._transactions, self._skipped, nodes, edges)


class _LiveMatcher:
    """The sanctions detector's name hook over whatever lists the app has active now.

    A :class:`~finmon.aml.detectors.screening_matcher.ScreenerMatcher` over the
    current screener (rebuilt when a list is loaded or activated); no match while
    no list is loaded.
    """

    def __init__(self, screening: Screening) -> None:
        self._screening = screening
        self._matcher: tuple[Any, Any] | None = None

    def __call__(self, name: str) -> float | None:
        from finmon.aml.detectors.screening_matcher import ScreenerMatcher

        try:
            screener = self._screening.screener()
        except ConflictError:
            return None
        cached = self._matcher
        if cached is None or cached[0] is not screener:
            cached = (screener, ScreenerMatcher(screener))
            self._matcher = cached
        result: float | None = cached[1](name)
        return result


@dataclass(frozen=True, slots=True)
class FindingsState:
    """How much of the log the detectors have read, and what they found."""

    last_seq: int
    transactions: int
    skipped: int
    findings: int


class FindingsService:
    """The AML typology detectors run over the ``transaction.received`` events of the log.

    Like :class:`GraphService`: the first question reads the log from the start,
    every later one feeds only the events appended since, in log (arrival)
    order, through one long-lived :class:`~finmon.aml.detectors.AmlDetectors`
    (default detectors, default :class:`~finmon.aml.detectors.AmlContext`: the
    app holds no customer or account reference data). The latest version of
    each finding is kept by ``finding_id``. The sanctions detector screens
    counterparty names with the app's screener over the lists active when the
    transaction is read (no match while none is loaded).
    """

    def __init__(self, log: Log, screening: Screening) -> None:
        self.log = log
        self.screening = screening
        self._detectors: AmlDetectors | None = None
        self._findings: dict[str, Finding] = {}
        self._last_seq = 0
        self._transactions = 0
        self._skipped = 0
        self._lock = threading.Lock()

    def _catch_up(self) -> dict[str, Finding]:
        """Feed the events appended since the last question (caller holds the lock)."""
        from finmon.monitor.transaction import from_row

        if self._detectors is None:
            from finmon.aml.detectors import AmlContext, AmlDetectors, default_detectors

            matcher = _LiveMatcher(self.screening)
            self._detectors = AmlDetectors(default_detectors(AmlContext(), name_matcher=matcher))
        head = self.log.head().seq
        if head > self._last_seq:
            for seq, payload in _rows(self.log.read(self._last_seq + 1, head)):
                try:
                    txn = from_row(_graph_row(payload))
                except (ValidationError, ValueError, KeyError, TypeError):
                    self._skipped += 1
                    self._last_seq = seq
                    continue
                for found in self._detectors.observe(txn):
                    self._findings[found.finding_id] = found
                self._transactions += 1
                self._last_seq = seq
            self._last_seq = head
        return self._findings

    def findings(self) -> tuple[list[Finding], FindingsState]:
        """Every finding (latest version), most recently detected first, and the state."""
        with self._lock:
            found = self._catch_up()
            ordered = sorted(
                found.values(), key=lambda f: (f.detected_at, f.finding_id), reverse=True
            )
            state = FindingsState(self._last_seq, self._transactions, self._skipped, len(found))
        return ordered, state

    def get(self, finding_id: str) -> tuple[Finding | None, FindingsState]:
        with self._lock:
            found = self._catch_up()
            state = FindingsState(self._last_seq, self._transactions, self._skipped, len(found))
            return found.get(finding_id), state


__all__ = [
    "AML_ACTIONS",
    "FindingsService",
    "FindingsState",
    "LIST_FORMATS",
    "OFAC_FILES",
    "GraphService",
    "GraphState",
    "LenientScreener",
    "Screening",
    "stage_upload",
]
