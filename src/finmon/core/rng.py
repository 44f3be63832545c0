"""Seeded randomness with independent, stable streams.

A simulation run is reproduced from one root seed. If every consumer drew from
one shared generator, adding a consumer, or changing how many numbers one of
them draws, would shift every stream after it and change the whole run. So each
consumer gets its own stream, seeded from the root seed and its name path
(``42, "sim", "population"``) through a hash: streams depend only on their own
name, and adding a new one leaves the others bit-for-bit as they were.

These streams are for reproducible simulation, not for secrets: use
:mod:`secrets` for keys and tokens.
"""

from __future__ import annotations

import hashlib
import random

from finmon.core.errors import ValidationError

_DOMAIN = b"finmon.rng.v1"
"""Versioned, so a future change of derivation is a deliberate, visible break."""


def _field(data: bytes) -> bytes:
    # Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.
    return len(data).to_bytes(8, "big") + data


def derive_seed(seed: int, *names: str) -> int:
    """A 64-bit sub-seed for the stream ``names`` under the root ``seed``.

    Raises:
        ValidationError: ``field="seed"`` for a negative or non-int seed;
            ``field="names"`` for a non-string name.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValidationError(
            f"a seed must be a non-negative int, not {type(seed).__name__}", field="seed"
        )
    if seed < 0:
        raise ValidationError(f"a seed must be non-negative, got {seed}", field="seed")
    digest = hashlib.blake2b(digest_size=8, person=b"finmon-rng")
    digest.update(_field(_DOMAIN))
    digest.update(_field(str(seed).encode("ascii")))
    for name in names:
        if not isinstance(name, str):
            raise ValidationError(
                f"stream names must be strings, not {type(name).__name__}", field="names"
            )
        digest.update(_field(name.encode("utf-8")))
    return int.from_bytes(digest.digest(), "big")


def seeded_rng(seed: int, *names: str) -> random.Random:
    """A generator for the stream ``names`` under ``seed``; same inputs, same numbers."""
    return random.Random(derive_seed(seed, *names))  # noqa: S311 - simulation, not secrets


__all__ = ["derive_seed", "seeded_rng"]
