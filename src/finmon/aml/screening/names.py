"""Name processing: normalise, transliterate, drop noise words, tokenise, phonetic keys.

Sanctions lists and customer records write the same name in different
scripts, cases, orders and with honorifics or legal forms that carry no
identity ("Mr", "LLC", "S.A."). Matching compares the cleaned Latin tokens;
the original text is kept beside them so an explanation can show the analyst
exactly what was published and which words were ignored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from rapidfuzz.distance import OSA

from finmon.core.errors import ValidationError

MAX_NAME_LENGTH = 300

# Words that say what a party *is*, not who it is. Matched on whole tokens after
# normalisation; dotted forms ("S.A.", "L.L.C.") are collapsed before lookup.
HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir dame lord lady madam mme mlle herr frau sr sra srta "
    "don dona hon rev haji hajji".split()
)
LEGAL_FORMS = frozenset(
    "llc llp lp ltd limited inc incorporated corp corporation co company plc gmbh ag kg "
    "sa sas sarl srl spa bv nv oy ab as asa aps pte pty jsc ojsc pjsc cjsc ooo oao zao "
    "tov sdn bhd fze fzco fzc lda ltda cia sl kft zrt sro doo eood pao "
    "cv sab sapi".split()
)
NOISE_WORDS = HONORIFICS | LEGAL_FORMS

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_SPLIT = re.compile(r"[^0-9a-z]+")
_APOSTROPHES = re.compile(r"['`\u2019\u02bc\u02bb]")


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # hangul syllables
        or 0xF900 <= code <= 0xFAFF
    )


def transliterate(text: str) -> str:
    """Latin form of ``text`` in any script (anyascii), one token per CJK syllable."""
    if any(_is_cjk(c) for c in text):
        text = "".join(f" {c} " if _is_cjk(c) else c for c in text)
    return anyascii(text)


@lru_cache(maxsize=65536)
def phonetic(token: str) -> str:
    """Metaphone key of a token (empty for digits-only tokens)."""
    if not token.isalpha():
        return token
    try:
        return jellyfish.metaphone(token) or token
    except (ValueError, IndexError):  # pragma: no cover - defensive, jellyfish edge cases
        return token


# Spelling differences between romanisation systems (English, French, German,
# Russian GOST/BGN, Arabic chat) folded to one form, longest first.
_FOLDS = (
    ("dzh", "j"),
    ("tch", "ch"),
    ("sch", "sh"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("dh", "d"),
    ("th", "t"),
    ("zh", "j"),
    ("dj", "j"),
    ("ck", "k"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ie", "i"),
    ("ei", "i"),
    ("ai", "ay"),
    ("q", "k"),
    ("c", "k"),
    ("w", "v"),
    ("y", "i"),
    ("x", "ks"),
    ("z", "s"),
    ("e", "i"),
    ("o", "u"),
)


@lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """A romanisation-insensitive skeleton: ``dzhalali`` and ``jalali`` fold alike.

    Vowels e/i and o/u are merged and doubled letters collapsed, which is what
    most transliteration variants of the same name differ by.
    """
    text = token
    for old, new in _FOLDS:
        text = text.replace(old, new)
    out: list[str] = []
    for char in text:
        if not out or out[-1] != char:
            out.append(char)
    return "".join(out)


_FOLDED_NOISE = frozenset(fold(w) for w in NOISE_WORDS if len(w) >= 4)
_LONG_NOISE = tuple(w for w in NOISE_WORDS if len(w) >= 6)  # typos tolerated in these


@dataclass(frozen=True, slots=True)
class ProcessedName:
    """A name ready to match, with what was kept and what was dropped.

    Attributes:
        original: the text as given (any script).
        latin: casefolded Latin transliteration of the whole name.
        tokens: the identity-bearing tokens, in order.
        noise: honorifics and legal forms dropped for matching (kept for explanations).
        phonetics: the metaphone key of each token.
    """

    original: str
    latin: str
    tokens: tuple[str, ...]
    noise: tuple[str, ...]
    phonetics: tuple[str, ...]
    joined: str  # the tokens without spaces: catches "AL-SHANTI" against "Alshanti"
    folded: tuple[str, ...]  # transliteration-folded tokens (see fold)


def _clean_latin(text: str) -> str:
    latin = transliterate(unicodedata.normalize("NFKC", text))
    latin = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), latin)
    return _APOSTROPHES.sub("", latin.casefold())


@lru_cache(maxsize=65536)
def _is_noise(token: str) -> bool:
    """A noise word, also when spelled another way ("compani", "limitid")."""
    if token in NOISE_WORDS or (len(token) >= 4 and fold(token) in _FOLDED_NOISE):
        return True
    return len(token) >= 6 and any(
        OSA.distance(token, word, score_cutoff=1) <= 1 for word in _LONG_NOISE
    )


@lru_cache(maxsize=131072)
def process(name: str) -> ProcessedName:
    """Normalise (NFKC, casefold), transliterate, tokenise and key a name.

    Noise words are removed only when something else remains: a company called
    just "Co" is still matchable.
    """
    latin_text = _clean_latin(name)
    raw = [t for t in _SPLIT.split(latin_text) if t]
    kept = [t for t in raw if not _is_noise(t)]
    noise = tuple(t for t in raw if _is_noise(t))
    if not kept:
        kept, noise = raw, ()
    tokens = tuple(kept)
    return ProcessedName(
        original=name,
        latin=" ".join(raw),
        tokens=tokens,
        noise=noise,
        phonetics=tuple(phonetic(t) for t in tokens),
        joined="".join(tokens),
        folded=tuple(fold(t) for t in tokens),
    )


def validate_name(name: object, *, field: str = "name") -> str:
    """The name, stripped, or a :class:`ValidationError` naming ``field`` and why.

    Rejects what cannot be a real name: not text, empty, longer than
    ``MAX_NAME_LENGTH`` characters, containing control characters, or with no
    letter or digit in any script (only punctuation).
    """
    if not isinstance(name, str):
        raise ValidationError(f"{field} must be text", field=field, code="invalid_type")
    stripped = name.strip()
    if not stripped:
        raise ValidationError(f"{field} is empty", field=field, code="empty")
    if len(stripped) > MAX_NAME_LENGTH:
        raise ValidationError(
            f"{field} is {len(stripped)} characters long; at most {MAX_NAME_LENGTH} are accepted",
            field=field,
            code="too_long",
        )
    if _CONTROL.search(stripped):
        raise ValidationError(
            f"{field} contains control characters", field=field, code="control_characters"
        )
    if not any(c.isalnum() for c in stripped):
        raise ValidationError(
            f"{field} has no letters or digits (only punctuation or symbols)",
            field=field,
            code="no_letters",
        )
    if not process(stripped).tokens:
        raise ValidationError(
            f"{field} has nothing that can be transliterated to letters",
            field=field,
            code="no_letters",
        )
    return stripped


__all__ = [
    "HONORIFICS",
    "LEGAL_FORMS",
    "MAX_NAME_LENGTH",
    "NOISE_WORDS",
    "ProcessedName",
    "fold",
    "phonetic",
    "process",
    "transliterate",
    "validate_name",
]
