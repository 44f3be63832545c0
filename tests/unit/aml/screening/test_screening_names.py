"""Name processing: normalisation, transliteration, noise words, phonetic keys, validation."""

from __future__ import annotations

import pytest

from finmon.aml.screening.names import fold, process, transliterate, validate_name
from finmon.core.errors import ValidationError


def test_normalises_case_width_and_punctuation() -> None:
    name = process("ＭＲ. John  O'NEIL-SMITH")
    assert name.tokens == ("john", "oneil", "smith")
    assert name.noise == ("mr",)
    assert name.original == "ＭＲ. John  O'NEIL-SMITH"


def test_legal_forms_are_dropped_for_matching_but_kept_for_explanations() -> None:
    name = process("ANGLO-CARIBBEAN CO., LTD.")
    assert name.tokens == ("anglo", "caribbean")
    assert name.noise == ("co", "ltd")
    assert process("CECOEX, S.A.").tokens == ("cecoex",)
    assert process("Example Compani").tokens == ("example",)  # spelled another way


def test_a_name_made_only_of_noise_words_is_kept() -> None:
    assert process("Co").tokens == ("co",)


@pytest.mark.parametrize(
    ("text", "latin"),
    [
        ("Владимир Путин", "vladimir putin"),
        ("金正恩", "jin zheng en"),
        ("محمد", "mhmd"),
        ("Ελευθέριος Βενιζέλος", "eleytherios venizelos"),
    ],
)
def test_any_script_is_transliterated_and_the_original_kept(text: str, latin: str) -> None:
    name = process(text)
    assert name.latin == latin
    assert name.original == text
    assert transliterate(text)


def test_phonetic_and_folded_keys_bridge_spellings() -> None:
    assert process("Mohammed").phonetics == process("Muhammad").phonetics
    assert fold("dzhalali") == fold("jalali")
    assert fold("qadhafi") == fold("kadhafi")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("!!! ---", "no_letters"),
        ("x" * 301, "too_long"),
        ("John\x00Smith", "control_characters"),
        ("John\x1bSmith", "control_characters"),
        (42, "invalid_type"),
    ],
)
def test_absurd_names_are_rejected_naming_the_field(value: object, code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_name(value, field="name")
    assert caught.value.field == "name"
    assert caught.value.code == code


def test_a_name_in_any_script_is_valid() -> None:
    for name in ("Иван Петров", "محمد علي", "王小明", "Ñoño Pérez"):
        assert validate_name(name) == name
