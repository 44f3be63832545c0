"""List loaders: OFAC CSV, UN XML, EU XML, OpenSanctions FtM; malformed files rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from screening_helpers import CONS_DIR, FIXTURES, SDN_DIR, UN_XML, needs_samples

from finmon.aml.screening import AliasQuality, EntityType, detect_format, load_list
from finmon.aml.screening.loaders import parse_remarks
from finmon.core.errors import ValidationError


def test_remarks_give_dates_of_birth_nationalities_and_weak_aliases() -> None:
    dobs, countries, aliases = parse_remarks(
        "DOB 10 Dec 1948; alt. DOB 1950 to 1952; POB Giza, Egypt; nationality Iran; "
        "citizen Korea, North; a.k.a. 'ABU ALI'; f.k.a. 'OLD NAME'."
    )
    assert dobs == ["1948-12-10", "1950", "1951", "1952"]
    assert countries == ["IR", "KP"]
    assert [(a.name, a.quality, a.kind) for a in aliases] == [
        ("ABU ALI", AliasQuality.WEAK, "aka"),
        ("OLD NAME", AliasQuality.WEAK, "fka"),
    ]


@needs_samples
def test_ofac_sdn_sample_loads_with_aliases_addresses_and_remarks() -> None:
    entries = {e.entry_id: e for e in load_list(SDN_DIR)}
    assert len(entries) == 8976
    bnc = entries["ofac_sdn:306"]
    assert bnc.name == "BANCO NACIONAL DE CUBA"
    assert bnc.entity_type is EntityType.ENTITY
    assert "NATIONAL BANK OF CUBA" in [a.name for a in bnc.aliases]
    assert ("BNC", AliasQuality.WEAK) in [(a.name, a.quality) for a in bnc.aliases]
    assert {"CH", "ES", "JP", "PA"} <= set(bnc.countries)
    zawahiri = entries["ofac_sdn:2676"]
    assert zawahiri.entity_type is EntityType.INDIVIDUAL
    assert "1951-06-19" in zawahiri.dates_of_birth
    kinds = {e.entity_type for e in entries.values()}
    assert kinds == set(EntityType)
    assert sum(len(e.aliases) for e in entries.values()) > 12000


@needs_samples
def test_ofac_consolidated_and_un_samples_load() -> None:
    cons = load_list(CONS_DIR)
    assert cons
    assert all(e.list == "ofac_cons" for e in cons)
    un = load_list(UN_XML)
    assert len(un) == 1003
    assert sum(e.entity_type is EntityType.INDIVIDUAL for e in un) == 730
    scripts = [a for e in un for a in e.aliases if a.kind == "original_script"]
    assert scripts, "UN original-script names become aliases"
    assert any(a.quality is AliasQuality.WEAK for e in un for a in e.aliases)
    assert any(e.dates_of_birth for e in un)
    assert detect_format(UN_XML) == "un"


def test_eu_fixture_loads_persons_and_enterprises() -> None:
    entries = {e.entry_id: e for e in load_list(FIXTURES / "eu_sample.xml")}
    assert detect_format(FIXTURES / "eu_sample.xml") == "eu"
    saddam = entries["eu:13"]
    assert saddam.entity_type is EntityType.INDIVIDUAL
    assert saddam.name == "Saddam Hussein Al-Tikriti"
    assert saddam.dates_of_birth == ("1937-04-28",)
    assert saddam.countries == ("IQ",)
    assert saddam.programs == ("IRQ",)
    assert ("Abu Ali", AliasQuality.WEAK) in [(a.name, a.quality) for a in saddam.aliases]
    bank = entries["eu:5001"]
    assert bank.entity_type is EntityType.ENTITY
    assert bank.countries == ("RU",)
    assert entries["eu:6001"].dates_of_birth == ("1946",)


def test_ftm_fixture_loads_parties_and_skips_relations() -> None:
    entries = {e.entry_id: e for e in load_list(FIXTURES / "opensanctions_sample.ftm.json")}
    assert set(entries) == {
        "opensanctions:NK-abc123",
        "opensanctions:NK-def456",
        "opensanctions:NK-ghi789",
        "opensanctions:Q123",
    }
    ivan = entries["opensanctions:NK-abc123"]
    assert ivan.entity_type is EntityType.INDIVIDUAL
    assert "role.pep" in ivan.topics
    assert ivan.countries == ("RU",)
    assert ("Vanya", AliasQuality.WEAK) in [(a.name, a.quality) for a in ivan.aliases]
    assert "Иван Петрович Сидоров" in [a.name for a in ivan.aliases]
    assert entries["opensanctions:NK-ghi789"].entity_type is EntityType.VESSEL
    assert entries["opensanctions:NK-def456"].countries == ("AE",)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "fmt", "where"),
    [
        ("short.csv", '1,"A","individual"\n', "ofac", "line 1"),
        (
            "nonum.csv",
            '1,"A",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
            'x,"B",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n',
            "ofac",
            "line 2",
        ),
        ("broken.xml", "<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL>", "un", "line 2"),
        (
            "noname.xml",
            "<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL>"
            "</INDIVIDUALS></CONSOLIDATED_LIST>",
            "un",
            "<INDIVIDUAL> #1",
        ),
        (
            "eu.xml",
            '<export xmlns="http://eu.europa.ec/fpi/fsd/export"><sanctionEntity logicalId="1">'
            "</sanctionEntity></export>",
            "eu",
            "<sanctionEntity> #1",
        ),
        (
            "bad.json",
            '{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n{oops\n',
            "ftm",
            "line 2",
        ),
        ("noid.json", '{"schema": "Person", "properties": {}}\n', "ftm", "line 1"),
        ("dtd.xml", '<!DOCTYPE x [<!ENTITY a "b">]><CONSOLIDATED_LIST/>', "un", "document"),
    ],
)
def test_malformed_files_are_rejected_with_the_line_or_element(
    tmp_path: Path, name: str, text: str, fmt: str, where: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        load_list(_write(tmp_path / name, text), fmt)
    assert where in caught.value.message
    assert caught.value.code == "malformed_list"


def test_an_ofac_alias_for_an_unknown_entity_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path / "sdn.csv", '1,"A",-0- ,"X",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n\x1a')
    _write(tmp_path / "alt.csv", '1,10,"aka","AA",-0- \n2,11,"aka","BB",-0- \n')
    with pytest.raises(ValidationError, match=r"alt.csv: line 2: entity number 2"):
        load_list(tmp_path)


def test_unknown_format_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        load_list(FIXTURES / "eu_sample.xml", "pdf")
    assert caught.value.field == "format"
    with pytest.raises(ValidationError) as missing:
        load_list(tmp_path / "nope.xml")
    assert missing.value.field == "path"
