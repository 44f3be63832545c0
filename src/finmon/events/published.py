"""Checkpoints published outside the log database.

A signed checkpoint inside the database proves nothing against someone who can
delete it. Publishing each checkpoint as it is made (here: an append-only JSON
Lines file beside the key, fsynced; in production also a copy sent to an
auditor or a transparency service) gives :meth:`Log.verify` anchors that a
database-only attacker cannot reach, so truncating or rewriting history below
the last published checkpoint is detected.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import orjson

from finmon.core.errors import ValidationError
from finmon.events.stores.base import Checkpoint


class CheckpointFile:
    """An append-only JSON Lines file of published checkpoints, one per line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def publish(self, checkpoint: Checkpoint) -> None:
        line = orjson.dumps(checkpoint.to_dict()) + b"\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def __call__(self, checkpoint: Checkpoint) -> None:
        self.publish(checkpoint)

    def load(self) -> list[Checkpoint]:
        """Every published checkpoint; a torn last line (a crash mid-write) is ignored."""
        if not self.path.exists():
            return []
        lines = self.path.read_bytes().splitlines()
        anchors = []
        for number, line in enumerate(lines, start=1):
            try:
                anchors.append(Checkpoint.from_dict(orjson.loads(line)))
            except (orjson.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
                if number == len(lines):
                    break
                raise ValidationError(
                    f"{self.path}:{number} is not a checkpoint: {exc}", field="checkpoints"
                ) from None
        return anchors


__all__ = ["CheckpointFile"]
