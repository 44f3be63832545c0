"""docs/transactions.md shows exactly the columns canonical.py defines, and the events agree."""

from __future__ import annotations

from pathlib import Path

from finmon.sources.canonical import TABLES
from finmon.sources.doctable import DOCUMENTED, refresh, render_columns
from finmon.sources.events import transaction_envelope, transaction_envelopes
from finmon.sources.samples import sample_transactions
from finmon.sources.validate import validate_rows

DOC = Path(__file__).parents[3] / "docs" / "transactions.md"


def test_the_doc_tables_match_canonical_py() -> None:
    text = DOC.read_text()
    assert refresh(text) == text, "run: python -m finmon.sources.doctable docs/transactions.md"
    for table in DOCUMENTED:
        assert render_columns(table) in text
        for column in TABLES[table]:
            assert f"`{column.name}`" in text


def test_batch_envelopes_equal_the_one_by_one_form() -> None:
    rows = validate_rows(sample_transactions(50).to_pylist()).rows
    batch = transaction_envelopes(rows)
    for row, fast in zip(rows, batch, strict=True):
        slow = transaction_envelope(row)
        assert (fast.id, fast.payload, fast.occurred_at, fast.partition_key) == (
            slow.id,
            slow.payload,
            slow.occurred_at,
            slow.partition_key,
        )


def test_the_public_api_is_exactly_all() -> None:
    import finmon.sources as sources

    public = {name for name in vars(sources) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(sources, name)).__name__ == "module"}
    assert public - modules == set(sources.__all__)
