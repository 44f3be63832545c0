"""The one entry model every list loader produces.

OFAC, the UN, the EU and OpenSanctions describe the same kind of thing (a
listed person, organisation, vessel or aircraft with names, birth dates and
countries) in four different layouts. Screening, storage and re-screening only
ever see :class:`Entry`, so a new list format is a new loader and nothing else.
Each entry carries a content hash so that a list update can be diffed by
``entry_id`` + hash and only the changed entries re-screened.
"""

from __future__ import annotations

import builtins
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

KNOWN_LISTS = ("ofac_sdn", "ofac_cons", "un", "eu", "opensanctions")


class EntityType(StrEnum):
    """What kind of thing is listed; a person never matches a ship at full strength."""

    INDIVIDUAL = "individual"
    ENTITY = "entity"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


class AliasQuality(StrEnum):
    """How much the source trusts an alias (OFAC/UN "weak"/"low" a.k.a.s are nicknames)."""

    STRONG = "strong"
    WEAK = "weak"


@dataclass(frozen=True, slots=True)
class Alias:
    """Another name of an entry, as the source wrote it."""

    name: str
    quality: AliasQuality = AliasQuality.STRONG
    kind: str = "aka"  # aka, fka, nka, original_script ...


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed party.

    Attributes:
        entry_id: ``<list>:<source id>``, stable across list versions (the diff key).
        list: ``ofac_sdn``, ``ofac_cons``, ``un``, ``eu``, ``opensanctions`` or a user list.
        entity_type: individual, entity, vessel or aircraft.
        name: the primary name exactly as published.
        aliases: every other name, with its quality where the source gives one.
        dates_of_birth: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (partial dates are common).
        countries: ISO 3166 alpha-2 codes where known, else the source's words (nationality,
            citizenship, address countries).
        programs: sanctions programmes / regimes (``SDGT``, ``IRAN``, ``DRC`` ...).
        topics: extra labels such as ``role.pep`` (OpenSanctions) for PEP screening.
    """

    entry_id: str
    list: str
    entity_type: EntityType
    name: str
    aliases: tuple[Alias, ...] = ()
    dates_of_birth: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    remarks: str = ""
    _hash: builtins.list[str] = field(default_factory=builtins.list, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stable key order: the content hash depends on it)."""
        return {
            "entry_id": self.entry_id,
            "list": self.list,
            "entity_type": self.entity_type.value,
            "name": self.name,
            "aliases": [
                {"name": a.name, "quality": a.quality.value, "kind": a.kind} for a in self.aliases
            ],
            "dates_of_birth": list(self.dates_of_birth),
            "countries": list(self.countries),
            "programs": list(self.programs),
            "topics": list(self.topics),
            "remarks": self.remarks,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        """Inverse of :meth:`to_dict`."""
        return cls(
            entry_id=str(data["entry_id"]),
            list=str(data["list"]),
            entity_type=EntityType(data["entity_type"]),
            name=str(data["name"]),
            aliases=tuple(
                Alias(
                    str(a["name"]), AliasQuality(a.get("quality", "strong")), a.get("kind", "aka")
                )
                for a in data.get("aliases", [])
            ),
            dates_of_birth=tuple(data.get("dates_of_birth", [])),
            countries=tuple(data.get("countries", [])),
            programs=tuple(data.get("programs", [])),
            topics=tuple(data.get("topics", [])),
            remarks=str(data.get("remarks", "")),
        )

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form; what re-screening diffs on."""
        if not self._hash:
            body = orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)
            self._hash.append(hashlib.sha256(body).hexdigest())
        return str(self._hash[0])

    def names(self) -> builtins.list[tuple[str, Alias | None]]:
        """The primary name (alias ``None``) then every alias: what gets indexed."""
        return [(self.name, None), *((a.name, a) for a in self.aliases)]


def list_hash(entries: list[Entry]) -> str:
    """One hash of a whole list version: the sorted per-entry hashes, hashed."""
    digest = hashlib.sha256()
    for entry_id, content in sorted((e.entry_id, e.content_hash) for e in entries):
        digest.update(f"{entry_id}\t{content}\n".encode())
    return digest.hexdigest()


__all__ = ["KNOWN_LISTS", "Alias", "AliasQuality", "Entry", "EntityType", "list_hash"]
