"""What an import did: counts, the problems found, and the outcome as an exit code.

One report shape for every source (files, SQL polls), so scripts read one
contract. The problem list is capped (a million bad rows do not make a
million-line report) but ``problem_count`` always says how many there were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from finmon.sources.validate import RowProblem

MAX_PROBLEMS = 100


class Outcome(StrEnum):
    """How an import ended; the ``finmon ingest file`` exit code is its value's index."""

    ACCEPTED = "accepted"  # every row valid and now in the log (or already there)
    REJECTED = "rejected"  # nothing written: the file must be fixed first
    PARTIAL = "partial"  # good rows written, bad rows in the dead-letter file

    @property
    def exit_code(self) -> int:
        """The contract: 0 accepted, 1 rejected, 2 some rows dead-lettered."""
        return {"accepted": 0, "rejected": 1, "partial": 2}[self.value]


@dataclass(slots=True)
class Counts:
    """Rows of one table: read = accepted + duplicates + rejected (once the import is done)."""

    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


@dataclass(slots=True)
class IngestReport:
    """The outcome of one import.

    Attributes:
        source: the file path or the connector name.
        outcome: accepted, rejected or partial (see :class:`Outcome`).
        rows_read: transaction rows read.
        accepted: rows new to the log, now stored.
        duplicates: valid rows the log already held (an earlier import): not stored twice.
        rejected: rows refused (rejected mode: all rows with a problem; nothing stored).
        problems: the first :data:`MAX_PROBLEMS` problems, each naming row, field and reason.
        problem_count: all problems found, listed or not.
        references: per reference table (accounts, ...): its counts.
        dead_letter: where rejected rows were written, if anywhere.
        elapsed_s: wall time of the whole import.
    """

    source: str
    outcome: Outcome = Outcome.ACCEPTED
    rows_read: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    references: dict[str, Counts] = field(default_factory=dict)
    dead_letter: str | None = None
    elapsed_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    def add_problems(self, problems: list[RowProblem]) -> None:
        room = MAX_PROBLEMS - len(self.problems)
        if room > 0:
            self.problems.extend(problems[:room])
        self.problem_count += len(problems)

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "outcome": self.outcome.value,
            "exit_code": self.exit_code,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "problem_count": self.problem_count,
            "problems": [p.to_dict() for p in self.problems],
            "problems_truncated": self.problem_count > len(self.problems),
            "references": {name: c.to_dict() for name, c in self.references.items()},
            "dead_letter": self.dead_letter,
            "elapsed_s": round(self.elapsed_s, 3),
            "rows_per_s": round(self.rows_per_s),
        }


__all__ = ["MAX_PROBLEMS", "Counts", "IngestReport", "Outcome"]
