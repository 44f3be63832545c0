"""Loaders: OFAC legacy CSV (SDN and consolidated), UN XML, EU XML, OpenSanctions FtM JSON.

Each loader turns one published format into :class:`~.model.Entry` objects and
nothing else. A file that does not parse is rejected as a whole with the line
(CSV, JSON lines, XML syntax) or element (XML content) and the reason: a
half-loaded sanctions list is worse than the previous complete one, which the
:class:`~.store.ListStore` keeps active.

Formats, as published:

* OFAC legacy CSV: no header, ``-0-`` for null, a trailing 0x1A byte.
  ``sdn.csv`` (ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type,
  Tonnage, GRT, Vess_flag, Vess_owner, Remarks), ``alt.csv`` (ent_num, alt_num,
  alt_type, alt_name, alt_remarks), ``add.csv`` (ent_num, Add_num, Address,
  City/State/Zip, Country, Add_remarks), ``sdn_comments.csv`` (ent_num, remarks
  overflow). The consolidated (non-SDN) list uses ``cons_*.csv`` with the same
  columns. Weak aliases live only in the remarks (``a.k.a. 'NAME'``), as do dates
  of birth and nationalities.
* UN Security Council consolidated XML: ``INDIVIDUAL``/``ENTITY`` elements with
  ``FIRST_NAME`` .. ``FOURTH_NAME``, ``NAME_ORIGINAL_SCRIPT``, ``*_ALIAS``
  (``QUALITY`` Good / Low), ``INDIVIDUAL_DATE_OF_BIRTH``, ``NATIONALITY``.
* EU consolidated XML (namespace ``http://eu.europa.ec/fpi/fsd/export``):
  ``sanctionEntity`` elements whose data sit in attributes of ``subjectType``,
  ``nameAlias`` (wholeName, strong), ``birthdate``, ``citizenship``,
  ``address`` and ``regulation`` (programme).
* OpenSanctions FollowTheMoney JSON lines: one entity per line, ``schema``
  (Person, Organization, Company, LegalEntity, Vessel, Airplane ...) and
  ``properties`` mapping property names to lists of strings.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - DTDs are refused before parsing, see _parse_xml
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from finmon.aml.screening.countries import to_code
from finmon.aml.screening.model import Alias, AliasQuality, EntityType, Entry
from finmon.core.errors import ValidationError

FORMATS = ("ofac", "un", "eu", "ftm")
_NULL = "-0-"
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def _reject(path: Path | str, where: str, reason: str) -> ValidationError:
    return ValidationError(f"{path}: {where}: {reason}", field="path", code="malformed_list")


# --------------------------------------------------------------------------- OFAC CSV


def _null(value: str) -> str:
    value = value.strip()
    return "" if value == _NULL else value


def _read_csv(path: Path, columns: int) -> Iterator[tuple[int, list[str]]]:
    """Rows of an OFAC CSV with their 1-based line numbers; wrong shapes are rejected."""
    data = path.read_bytes().rstrip(b"\x1a\r\n \t")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _reject(path, f"line {line}", "not valid UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != columns:
                raise _reject(path, f"line {line}", f"expected {columns} fields, got {len(row)}")
            if not row[0].strip().isdigit():
                raise _reject(path, f"line {line}", f"entity number {row[0]!r} is not a number")
            yield line, row
    except csv.Error as exc:
        raise _reject(path, f"line {reader.line_num}", f"CSV error: {exc}") from None


_DOB = re.compile(
    r"\bDOB\s+(?:circa\s+)?((?:\d{1,2}\s+)?(?:[A-Z][a-z]{2}\s+)?\d{4})"
    r"(?:\s+to\s+((?:\d{1,2}\s+)?(?:[A-Z][a-z]{2}\s+)?\d{4}))?"
)
_NATIONALITY = re.compile(r"\b(?:[Nn]ationality|[Cc]itizen)\s+([^;.]+)")
_AKA = re.compile(r"\b([afn])\.k\.a\.\s+'([^']+)'")


def _ofac_date(text: str) -> str:
    parts = text.split()
    year = parts[-1]
    if len(parts) == 3:
        return f"{year}-{_MONTHS.get(parts[1].lower(), 0):02d}-{int(parts[0]):02d}"
    if len(parts) == 2 and parts[0].lower() in _MONTHS:
        return f"{year}-{_MONTHS[parts[0].lower()]:02d}"
    return year


def _date_range(first: str, last: str | None) -> list[str]:
    start = _ofac_date(first)
    if last is None:
        return [start]
    end = _ofac_date(last)
    years = range(int(start[:4]), int(end[:4]) + 1)
    if len(start) == 4 and len(end) == 4 and 0 < len(years) <= 10:
        return [str(y) for y in years]
    return [start, end]


def parse_remarks(remarks: str) -> tuple[list[str], list[str], list[Alias]]:
    """Dates of birth, nationalities and weak aliases out of an OFAC remarks field."""
    dobs = [d for m in _DOB.finditer(remarks) for d in _date_range(m.group(1), m.group(2))]
    countries = [to_code(m.group(1)) for m in _NATIONALITY.finditer(remarks)]
    aliases = [
        Alias(m.group(2).strip(), AliasQuality.WEAK, f"{m.group(1)}ka")
        for m in _AKA.finditer(remarks)
        if m.group(2).strip()
    ]
    return dobs, countries, aliases


_OFAC_TYPES = {"individual": EntityType.INDIVIDUAL, "vessel": EntityType.VESSEL}
_OFAC_TYPES["aircraft"] = EntityType.AIRCRAFT


@dataclass
class _OfacRecord:
    ent_num: str
    name: str
    entity_type: EntityType
    programs: list[str]
    remarks: str
    flag: str
    aliases: list[Alias] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)


def _ofac_files(path: Path) -> tuple[Path, str, str]:
    """(directory, file prefix, list name) for an OFAC CSV set given as a dir or its main file."""
    directory = path if path.is_dir() else path.parent
    if path.is_file():
        stem = path.name.lower()
        if stem.startswith("cons"):
            return directory, "cons_", "ofac_cons"
        return directory, "", "ofac_sdn"
    if (directory / "sdn.csv").exists():
        return directory, "", "ofac_sdn"
    if (directory / "cons_prim.csv").exists():
        return directory, "cons_", "ofac_cons"
    raise _reject(path, "directory", "no sdn.csv or cons_prim.csv in it")


def _ofac_primary(path: Path) -> dict[str, _OfacRecord]:
    records: dict[str, _OfacRecord] = {}
    for line, row in _read_csv(path, 12):
        ent, name = row[0].strip(), _null(row[1])
        if not name:
            raise _reject(path, f"line {line}", "empty name")
        if ent in records:
            raise _reject(path, f"line {line}", f"duplicate entity number {ent}")
        kind = _OFAC_TYPES.get(_null(row[2]).lower(), EntityType.ENTITY)
        programs = [p.strip(" []") for p in _null(row[3]).split("] [") if p.strip(" []")]
        records[ent] = _OfacRecord(ent, name, kind, programs, _null(row[11]), _null(row[9]))
    return records


def _ofac_extras(directory: Path, prefix: str, records: dict[str, _OfacRecord]) -> None:
    alt = directory / f"{prefix}alt.csv"
    if alt.exists():
        for line, row in _read_csv(alt, 5):
            record = _known(records, row[0].strip(), alt, line)
            name = _null(row[3])
            if name:
                record.aliases.append(Alias(name, AliasQuality.STRONG, _null(row[2]) or "aka"))
    add = directory / f"{prefix}add.csv"
    if add.exists():
        for line, row in _read_csv(add, 6):
            country = _null(row[4])
            if country:
                _known(records, row[0].strip(), add, line).countries.append(to_code(country))
    comments = directory / f"{prefix}comments.csv" if prefix else directory / "sdn_comments.csv"
    if comments.exists():
        for line, row in _read_csv(comments, 2):
            record = _known(records, row[0].strip(), comments, line)
            record.remarks += _null(row[1])


def _known(records: dict[str, _OfacRecord], ent: str, path: Path, line: int) -> _OfacRecord:
    try:
        return records[ent]
    except KeyError:
        raise _reject(
            path, f"line {line}", f"entity number {ent} is not in the main file"
        ) from None


def load_ofac(path: Path, *, list_name: str | None = None) -> list[Entry]:
    """An OFAC legacy CSV set (SDN or consolidated): a directory or its main CSV file."""
    directory, prefix, default_list = _ofac_files(path)
    main = path if path.is_file() else directory / ("cons_prim.csv" if prefix else "sdn.csv")
    records = _ofac_primary(main)
    _ofac_extras(directory, prefix, records)
    name = list_name or default_list
    entries = []
    for record in records.values():
        dobs, nationalities, weak = parse_remarks(record.remarks)
        countries = [*nationalities, *record.countries]
        if record.flag:
            countries.append(to_code(record.flag))
        entries.append(
            Entry(
                entry_id=f"{name}:{record.ent_num}",
                list=name,
                entity_type=record.entity_type,
                name=record.name,
                aliases=tuple(_unique_aliases(record.name, [*record.aliases, *weak])),
                dates_of_birth=tuple(dict.fromkeys(dobs)),
                countries=tuple(dict.fromkeys(countries)),
                programs=tuple(record.programs),
                remarks=record.remarks,
            )
        )
    return entries


def _unique_aliases(primary: str, aliases: list[Alias]) -> list[Alias]:
    seen = {primary.casefold()}
    unique = []
    for alias in aliases:
        key = alias.name.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(alias)
    return unique


# --------------------------------------------------------------------------- XML helpers


def _parse_xml(path: Path) -> ET.Element:
    """Parse a list XML file, refusing DTDs (no entity expansion attacks; lists never use them)."""
    data = path.read_bytes()
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise _reject(path, "document", "DTDs and entity declarations are not accepted")
    try:
        return ET.fromstring(data)  # noqa: S314 - DTD/entities refused above; expat limits apply
    except ET.ParseError as exc:
        line, column = exc.position
        raise _reject(path, f"line {line}, column {column}", f"XML syntax error: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: ET.Element | None, name: str) -> str:
    if element is None:
        return ""
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _values(element: ET.Element, name: str) -> list[str]:
    """Text of each ``VALUE`` under each ``name`` child (the UN's repeated-value layout)."""
    found = []
    for child in _children(element, name):
        for value in _children(child, "VALUE"):
            if value.text and value.text.strip():
                found.append(value.text.strip())
    return found


# --------------------------------------------------------------------------- UN XML


def _un_dobs(element: ET.Element) -> list[str]:
    dobs: list[str] = []
    for dob in _children(element, "INDIVIDUAL_DATE_OF_BIRTH"):
        date, year = _text(dob, "DATE"), _text(dob, "YEAR")
        low, high = _text(dob, "FROM_YEAR"), _text(dob, "TO_YEAR")
        if date:
            dobs.append(date[:10])
        elif year:
            dobs.append(year)
        elif low.isdigit() and high.isdigit() and 0 <= int(high) - int(low) <= 10:
            dobs.extend(str(y) for y in range(int(low), int(high) + 1))
    return dobs


def _un_aliases(element: ET.Element, tag: str) -> list[Alias]:
    aliases = []
    for alias in _children(element, tag):
        name = _text(alias, "ALIAS_NAME")
        if name:
            low = _text(alias, "QUALITY").lower() in {"low", "weak"}
            aliases.append(Alias(name, AliasQuality.WEAK if low else AliasQuality.STRONG))
    original = _text(element, "NAME_ORIGINAL_SCRIPT")
    if original:
        aliases.append(Alias(original, AliasQuality.STRONG, "original_script"))
    return aliases


def _un_entry(element: ET.Element, kind: EntityType, list_name: str) -> Entry:
    parts = [_text(element, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(p for p in parts if p)
    prefix = "INDIVIDUAL" if kind is EntityType.INDIVIDUAL else "ENTITY"
    countries = [to_code(c) for c in _values(element, "NATIONALITY")]
    for address in _children(element, f"{prefix}_ADDRESS"):
        if _text(address, "COUNTRY"):
            countries.append(to_code(_text(address, "COUNTRY")))
    program = _text(element, "UN_LIST_TYPE")
    return Entry(
        entry_id=f"{list_name}:{_text(element, 'DATAID')}",
        list=list_name,
        entity_type=kind,
        name=name,
        aliases=tuple(_unique_aliases(name, _un_aliases(element, f"{prefix}_ALIAS"))),
        dates_of_birth=tuple(dict.fromkeys(_un_dobs(element))),
        countries=tuple(dict.fromkeys(countries)),
        programs=(program,) if program else (),
        remarks=_text(element, "COMMENTS1"),
    )


def load_un(path: Path, *, list_name: str | None = None) -> list[Entry]:
    """The UN Security Council consolidated list XML."""
    root = _parse_xml(path)
    if _local(root.tag) != "CONSOLIDATED_LIST":
        raise _reject(path, f"root element <{_local(root.tag)}>", "expected <CONSOLIDATED_LIST>")
    name = list_name or "un"
    entries: list[Entry] = []
    for group, tag, kind in (
        ("INDIVIDUALS", "INDIVIDUAL", EntityType.INDIVIDUAL),
        ("ENTITIES", "ENTITY", EntityType.ENTITY),
    ):
        holder = _child(root, group)
        for index, element in enumerate(_children(holder, tag) if holder is not None else [], 1):
            where = f"<{tag}> #{index}"
            if not _text(element, "DATAID"):
                raise _reject(path, where, "missing DATAID")
            if not _text(element, "FIRST_NAME"):
                raise _reject(path, f"{where} (DATAID {_text(element, 'DATAID')})", "no name")
            entries.append(_un_entry(element, kind, name))
    return entries


# --------------------------------------------------------------------------- EU XML

_EU_TYPES = {"person": EntityType.INDIVIDUAL, "enterprise": EntityType.ENTITY}


def _eu_alias_name(alias: ET.Element) -> str:
    whole = alias.get("wholeName", "").strip()
    if whole:
        return whole
    parts = (alias.get(k, "").strip() for k in ("firstName", "middleName", "lastName"))
    return " ".join(p for p in parts if p)


def _eu_dobs(element: ET.Element) -> list[str]:
    dobs = []
    for birth in _children(element, "birthdate"):
        full, year = birth.get("birthdate", "").strip(), birth.get("year", "").strip()
        if full:
            dobs.append(full[:10])
        elif year:
            dobs.append(year)
    return dobs


def _eu_countries(element: ET.Element) -> list[str]:
    countries = []
    for tag in ("citizenship", "address"):
        for item in _children(element, tag):
            code = item.get("countryIso2Code", "").strip()
            description = item.get("countryDescription", "").strip()
            if code and code != "00":
                countries.append(to_code(code))
            elif description and description.upper() != "UNKNOWN":
                countries.append(to_code(description))
    return countries


def _eu_entry(element: ET.Element, where: str, path: Path, list_name: str) -> Entry:
    logical_id = element.get("logicalId", "").strip()
    if not logical_id:
        raise _reject(path, where, "missing logicalId attribute")
    names = [(_eu_alias_name(a), a.get("strong", "true")) for a in _children(element, "nameAlias")]
    names = [(n, strong) for n, strong in names if n]
    if not names:
        raise _reject(path, f"{where} (logicalId {logical_id})", "no nameAlias with a name")
    subject = _child(element, "subjectType")
    code = subject.get("code", "").strip().lower() if subject is not None else ""
    programs = [r.get("programme", "").strip() for r in _children(element, "regulation")]
    aliases = [
        Alias(n, AliasQuality.STRONG if s.lower() != "false" else AliasQuality.WEAK)
        for n, s in names[1:]
    ]
    return Entry(
        entry_id=f"{list_name}:{logical_id}",
        list=list_name,
        entity_type=_EU_TYPES.get(code, EntityType.ENTITY),
        name=names[0][0],
        aliases=tuple(_unique_aliases(names[0][0], aliases)),
        dates_of_birth=tuple(dict.fromkeys(_eu_dobs(element))),
        countries=tuple(dict.fromkeys(_eu_countries(element))),
        programs=tuple(dict.fromkeys(p for p in programs if p)),
        remarks=" ".join((r.text or "").strip() for r in _children(element, "remark")),
    )


def load_eu(path: Path, *, list_name: str | None = None) -> list[Entry]:
    """The EU consolidated financial sanctions list XML (FSF, schema 1.1)."""
    root = _parse_xml(path)
    if _local(root.tag) != "export":
        raise _reject(path, f"root element <{_local(root.tag)}>", "expected <export>")
    name = list_name or "eu"
    return [
        _eu_entry(element, f"<sanctionEntity> #{index}", path, name)
        for index, element in enumerate(_children(root, "sanctionEntity"), 1)
    ]


# --------------------------------------------------------------------------- FtM JSON

_FTM_TYPES = {
    "Person": EntityType.INDIVIDUAL,
    "Organization": EntityType.ENTITY,
    "Company": EntityType.ENTITY,
    "LegalEntity": EntityType.ENTITY,
    "PublicBody": EntityType.ENTITY,
    "Vessel": EntityType.VESSEL,
    "Airplane": EntityType.AIRCRAFT,
}


def _strings(properties: dict[str, Any], *keys: str) -> list[str]:
    found: list[str] = []
    for key in keys:
        value = properties.get(key, [])
        values = value if isinstance(value, list) else [value]
        found.extend(str(v).strip() for v in values if isinstance(v, str) and v.strip())
    return found


def _ftm_entry(data: Any, where: str, path: Path, list_name: str) -> Entry | None:
    if not isinstance(data, dict):
        raise _reject(path, where, "expected a JSON object")
    schema, entity_id, properties = data.get("schema"), data.get("id"), data.get("properties")
    if not isinstance(entity_id, str) or not entity_id:
        raise _reject(path, where, "missing 'id'")
    if not isinstance(schema, str) or not isinstance(properties, dict):
        raise _reject(path, where, "missing 'schema' or 'properties'")
    kind = _FTM_TYPES.get(schema)
    if kind is None:
        return None  # a relation or detail (Sanction, Address, Ownership ...), not a party
    names = _strings(properties, "name")
    caption = data.get("caption")
    primary = names[0] if names else (caption if isinstance(caption, str) else "")
    if not primary.strip():
        raise _reject(path, f"{where} (id {entity_id})", "no name")
    strong = [Alias(n) for n in _strings(properties, "name", "alias", "previousName")]
    weak = [Alias(n, AliasQuality.WEAK) for n in _strings(properties, "weakAlias")]
    countries = _strings(properties, "nationality", "citizenship", "country", "jurisdiction")
    topics = _strings(properties, "topics") or _strings(data, "topics")
    return Entry(
        entry_id=f"{list_name}:{entity_id}",
        list=list_name,
        entity_type=kind,
        name=primary.strip(),
        aliases=tuple(_unique_aliases(primary, [*strong, *weak])),
        dates_of_birth=tuple(dict.fromkeys(d[:10] for d in _strings(properties, "birthDate"))),
        countries=tuple(dict.fromkeys(to_code(c) for c in countries)),
        programs=tuple(dict.fromkeys(_strings(properties, "program", "programId"))),
        topics=tuple(dict.fromkeys(topics)),
        remarks=" ".join(_strings(properties, "notes")),
    )


def load_ftm(path: Path, *, list_name: str | None = None) -> list[Entry]:
    """OpenSanctions FollowTheMoney JSON lines (``entities.ftm.json``); skips non-party schemas."""
    name = list_name or "opensanctions"
    entries: list[Entry] = []
    seen: set[str] = set()
    with path.open("rb") as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise _reject(path, f"line {line_number}", f"invalid JSON: {exc}") from None
            entry = _ftm_entry(data, f"line {line_number}", path, name)
            if entry is None:
                continue
            if entry.entry_id in seen:
                raise _reject(path, f"line {line_number}", f"duplicate id {data['id']}")
            seen.add(entry.entry_id)
            entries.append(entry)
    return entries


# --------------------------------------------------------------------------- dispatch


def detect_format(path: Path) -> str:
    """``ofac``, ``un``, ``eu`` or ``ftm`` from the path and the first bytes of the file."""
    if path.is_dir():
        return "ofac"
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "ofac"
    if suffix in {".json", ".jsonl", ".ndjson", ".ftm"}:
        return "ftm"
    head = path.read_bytes()[:2048]
    if b"CONSOLIDATED_LIST" in head:
        return "un"
    if b"fsd/export" in head or b"<export" in head:
        return "eu"
    if head.lstrip().startswith(b"{"):
        return "ftm"
    raise _reject(path, "file", "cannot tell the format; pass --format ofac|un|eu|ftm")


_LOADERS = {"ofac": load_ofac, "un": load_un, "eu": load_eu, "ftm": load_ftm}


def load_list(path: Path, fmt: str | None = None, *, list_name: str | None = None) -> list[Entry]:
    """Load any supported list file; ``fmt`` is auto-detected when ``None``."""
    if not path.exists():
        raise ValidationError(f"{path}: no such file or directory", field="path", code="not_found")
    chosen = fmt or detect_format(path)
    if chosen not in _LOADERS:
        raise ValidationError(
            f"unknown list format {chosen!r}; expected one of {', '.join(FORMATS)}",
            field="format",
            code="invalid",
        )
    entries = _LOADERS[chosen](path, list_name=list_name)
    if not entries:
        raise _reject(path, "file", "no entries found")
    return entries


__all__ = [
    "FORMATS",
    "detect_format",
    "load_eu",
    "load_ftm",
    "load_list",
    "load_ofac",
    "load_un",
    "parse_remarks",
]
