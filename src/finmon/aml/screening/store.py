"""The list store: the active version of each sanctions list, every earlier one, who loaded it.

Layout under ``<data_dir>/screening/``::

    lists/<list>/v<N>.json     one version: metadata + every entry (JSON)
    lists/<list>/v<N>.meta     its metadata alone (listing versions reads no entries)
    lists/<list>/active.json   {"version": N}: the version screening uses
    history.jsonl              every load attempt, accepted or rejected, with who and when
    thresholds.json            optional {"default": 82, "lists": {"un": 85}}

A load parses the whole file first and writes nothing if it is malformed, so
the previous version stays active. A load whose content hash equals the active
version's creates no new version. Earlier versions are kept so a list update
can be diffed (by entry id and content hash) to re-screen customers against
only what changed, and so an operator can roll back.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from finmon.aml.screening.loaders import detect_format, load_list
from finmon.aml.screening.model import Entry, list_hash
from finmon.aml.screening.screener import ListDiff, Screener, Thresholds, diff_entries
from finmon.core.clock import Clock, SystemClock
from finmon.core.errors import NotFoundError, ValidationError

_LIST_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True, slots=True)
class ListVersion:
    """Metadata of one stored list version."""

    list: str
    version: int
    format: str
    source: str
    content_hash: str
    entries: int
    loaded_at: str
    loaded_by: str
    active: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "list": self.list,
            "version": self.version,
            "format": self.format,
            "source": self.source,
            "content_hash": self.content_hash,
            "entries": self.entries,
            "loaded_at": self.loaded_at,
            "loaded_by": self.loaded_by,
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a load did: the version now active and whether it is new."""

    version: ListVersion
    created: bool
    diff: ListDiff | None


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _check_list_name(name: str) -> str:
    if not name or not set(name) <= _LIST_NAME_CHARS or len(name) > 64:
        raise ValidationError(
            f"list name {name!r} must be 1-64 characters of a-z, 0-9, '_' or '-'",
            field="list",
            code="invalid",
        )
    return name


class ListStore:
    """Versioned sanctions lists on disk; see the module docstring for the layout."""

    def __init__(self, root: Path, *, clock: Clock | None = None) -> None:
        self.root = root
        self.clock: Clock = clock or SystemClock()

    def _dir(self, list_name: str) -> Path:
        return self.root / "lists" / _check_list_name(list_name)

    def _record(self, event: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "history.jsonl").open("ab") as handle:
            handle.write(orjson.dumps(event) + b"\n")

    def load(
        self,
        path: Path,
        fmt: str | None = None,
        *,
        list_name: str | None = None,
        loaded_by: str | None = None,
    ) -> LoadResult:
        """Parse ``path`` and make it the active version of its list.

        Raises :class:`ValidationError` (with the line or element and reason)
        for a malformed file; the attempt is recorded and nothing else changes.
        """
        who = loaded_by or getpass.getuser()
        when = self.clock.now().isoformat(timespec="seconds")
        if list_name is not None:
            _check_list_name(list_name)
        try:
            chosen = fmt or detect_format(path)
            entries = load_list(path, chosen, list_name=list_name)
        except ValidationError as exc:
            self._record(
                {
                    "at": when,
                    "by": who,
                    "source": str(path),
                    "accepted": False,
                    "error": exc.message,
                }
            )
            raise
        names = {e.list for e in entries}
        if len(names) != 1:  # pragma: no cover - every loader yields one list
            raise ValidationError("a file must hold exactly one list", field="path")
        name = names.pop()
        content_hash = list_hash(entries)
        active = self.active_version(name)
        if active is not None and active.content_hash == content_hash:
            self._record(
                {
                    "at": when,
                    "by": who,
                    "source": str(path),
                    "accepted": True,
                    "list": name,
                    "version": active.version,
                    "unchanged": True,
                }
            )
            return LoadResult(active, created=False, diff=ListDiff((), (), ()))
        number = (max((v.version for v in self.versions(name)), default=0)) + 1
        version = ListVersion(
            name, number, chosen, str(path), content_hash, len(entries), when, who, active=True
        )
        document = {**version.to_dict(), "entries": [e.to_dict() for e in entries]}
        document["entry_count"] = len(entries)
        _write_atomic(self._dir(name) / f"v{number}.json", orjson.dumps(document))
        meta = {k: v for k, v in document.items() if k != "entries"}
        _write_atomic(self._dir(name) / f"v{number}.meta", orjson.dumps(meta))
        _write_atomic(self._dir(name) / "active.json", orjson.dumps({"version": number}))
        self._record(
            {
                "at": when,
                "by": who,
                "source": str(path),
                "accepted": True,
                "list": name,
                "version": number,
                "content_hash": content_hash,
                "entries": len(entries),
            }
        )
        diff = diff_entries(self.entries(name, active.version), entries) if active else None
        return LoadResult(version, created=True, diff=diff)

    def _read(self, list_name: str, version: int) -> dict[str, Any]:
        path = self._dir(list_name) / f"v{version}.json"
        if not path.exists():
            raise NotFoundError(f"list {list_name} has no version {version}", field="version")
        data: dict[str, Any] = orjson.loads(path.read_bytes())
        return data

    def _read_meta(self, list_name: str, version: int) -> dict[str, Any]:
        path = self._dir(list_name) / f"v{version}.meta"
        if not path.exists():
            return self._read(list_name, version)
        data: dict[str, Any] = orjson.loads(path.read_bytes())
        return data

    def _meta(self, data: dict[str, Any], active: int | None) -> ListVersion:
        return ListVersion(
            list=data["list"],
            version=int(data["version"]),
            format=data["format"],
            source=data["source"],
            content_hash=data["content_hash"],
            entries=int(data["entry_count"]),
            loaded_at=data["loaded_at"],
            loaded_by=data["loaded_by"],
            active=int(data["version"]) == active,
        )

    def list_names(self) -> list[str]:
        """Every list with at least one stored version."""
        base = self.root / "lists"
        return sorted(p.name for p in base.iterdir() if p.is_dir()) if base.exists() else []

    def _active_number(self, list_name: str) -> int | None:
        path = self._dir(list_name) / "active.json"
        if not path.exists():
            return None
        return int(orjson.loads(path.read_bytes())["version"])

    def active_version(self, list_name: str) -> ListVersion | None:
        """Metadata of the active version of a list, or ``None``."""
        number = self._active_number(list_name)
        return None if number is None else self._meta(self._read_meta(list_name, number), number)

    def versions(self, list_name: str) -> list[ListVersion]:
        """Every stored version of a list, oldest first."""
        directory = self._dir(list_name)
        if not directory.exists():
            return []
        active = self._active_number(list_name)
        numbers = sorted(int(p.stem[1:]) for p in directory.glob("v*.json"))
        return [self._meta(self._read_meta(list_name, n), active) for n in numbers]

    def active(self) -> list[ListVersion]:
        """The active version of every list."""
        found = [self.active_version(name) for name in self.list_names()]
        return [v for v in found if v is not None]

    def entries(self, list_name: str, version: int | None = None) -> list[Entry]:
        """Entries of a version (default: the active one)."""
        number = version if version is not None else self._active_number(list_name)
        if number is None:
            raise NotFoundError(f"list {list_name} is not loaded", field="list")
        return [Entry.from_dict(e) for e in self._read(list_name, number)["entries"]]

    def active_entries(self) -> list[Entry]:
        """Entries of every active list: what screening runs against."""
        return [e for v in self.active() for e in self.entries(v.list, v.version)]

    def activate(self, list_name: str, version: int, *, by: str | None = None) -> ListVersion:
        """Make a stored version active again (roll back or forward)."""
        meta = self._meta(self._read_meta(list_name, version), version)
        _write_atomic(self._dir(list_name) / "active.json", orjson.dumps({"version": version}))
        self._record(
            {
                "at": self.clock.now().isoformat(timespec="seconds"),
                "by": by or getpass.getuser(),
                "list": list_name,
                "activated": version,
            }
        )
        return meta

    def diff(self, list_name: str, since: int, version: int | None = None) -> ListDiff:
        """What changed in a list between version ``since`` and ``version`` (default active)."""
        return diff_entries(self.entries(list_name, since), self.entries(list_name, version))

    def thresholds(self) -> Thresholds:
        """Per-list thresholds from ``thresholds.json``, or the defaults."""
        path = self.root / "thresholds.json"
        if not path.exists():
            return Thresholds()
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ValidationError(f"{path}: invalid JSON: {exc}", field="thresholds") from None
        if not isinstance(data, dict):
            raise ValidationError(f"{path}: expected a JSON object", field="thresholds")
        return Thresholds.from_dict(data)

    def screener(self) -> Screener:
        """A screener over every active list with the configured thresholds."""
        return Screener(self.active_entries(), self.thresholds())


__all__ = ["ListStore", "ListVersion", "LoadResult"]
