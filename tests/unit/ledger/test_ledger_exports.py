"""`finmon.ledger.__all__` names exactly the public API, and every name resolves."""

from __future__ import annotations

import finmon.ledger as ledger


def test_all_is_complete_sorted_and_resolvable() -> None:
    public = {name for name in vars(ledger) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(ledger, name)).__name__ == "module"}
    assert set(ledger.__all__) == public - modules
    assert ledger.__all__ == sorted(ledger.__all__, key=lambda n: (not n.isupper(), n))
    for name in ledger.__all__:
        assert getattr(ledger, name) is not None
