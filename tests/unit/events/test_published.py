"""Checkpoints published to an append-only JSON Lines file outside the database."""

from __future__ import annotations

import stat
from pathlib import Path

import orjson
import pytest

from finmon.core.errors import ValidationError
from finmon.events.log import Log
from finmon.events.published import CheckpointFile
from finmon.events.signing import Signer
from finmon.events.stores.base import Checkpoint
from finmon.events.stores.sqlite import SqliteLogStore
from finmon.testing import sample_envelopes


def checkpoint(n: int) -> Checkpoint:
    return Checkpoint(
        seq_from=(n - 1) * 4 + 1,
        seq_to=n * 4,
        root=bytes([n]) * 32,
        head_hash=bytes([n + 100]) * 32,
        created_at=f"2026-01-01T00:00:0{n}.000000+00:00",
        key_id="0123456789abcdef",
        signature=bytes([n]) * 64,
    )


def test_missing_file_has_no_checkpoints(tmp_path: Path) -> None:
    assert CheckpointFile(tmp_path / "none.jsonl").load() == []


def test_publish_then_load_round_trips(tmp_path: Path) -> None:
    published = CheckpointFile(tmp_path / "deep" / "dir" / "published.jsonl")
    written = [checkpoint(n) for n in (1, 2, 3)]
    for item in written:
        published.publish(item)
    assert published.load() == written
    lines = published.path.read_bytes().splitlines()
    assert len(lines) == 3
    assert orjson.loads(lines[1]) == written[1].to_dict()
    assert stat.S_IMODE(published.path.stat().st_mode) & 0o022 == 0


def test_publishing_appends_and_a_new_reader_sees_everything(tmp_path: Path) -> None:
    path = tmp_path / "published.jsonl"
    CheckpointFile(path).publish(checkpoint(1))
    CheckpointFile(path)(checkpoint(2))  # callable, as Log's on_checkpoint
    assert CheckpointFile(path).load() == [checkpoint(1), checkpoint(2)]


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    published = CheckpointFile(tmp_path / "published.jsonl")
    published.publish(checkpoint(1))
    published.publish(checkpoint(2))
    whole = orjson.dumps(checkpoint(3).to_dict())
    with published.path.open("ab") as handle:
        handle.write(whole[: len(whole) // 2])  # a crash mid-write, no newline
    assert published.load() == [checkpoint(1), checkpoint(2)]


@pytest.mark.parametrize(
    "bad_line",
    [
        b"{not json",
        b'{"seq_from": 1}',
        b"[1, 2, 3]",
        b"null",
        b"",
        orjson.dumps({**checkpoint(9).to_dict(), "root": "xyz"}),
    ],
    ids=["torn-json", "missing-keys", "array", "null", "blank", "bad-hex"],
)
def test_a_corrupt_middle_line_is_an_error(tmp_path: Path, bad_line: bytes) -> None:
    path = tmp_path / "published.jsonl"
    good = [orjson.dumps(checkpoint(n).to_dict()) for n in (1, 2)]
    path.write_bytes(b"\n".join([good[0], bad_line, good[1]]) + b"\n")
    with pytest.raises(ValidationError) as caught:
        CheckpointFile(path).load()
    assert caught.value.field == "checkpoints"
    assert f"{path}:2" in caught.value.message


def test_a_log_publishes_every_checkpoint_it_signs(tmp_path: Path) -> None:
    published = CheckpointFile(tmp_path / "keys" / "published.jsonl")
    store = SqliteLogStore(tmp_path / "events.db")
    try:
        log = Log(store, Signer.generate(), checkpoint_interval=4, on_checkpoint=published)
        log.append_batch(sample_envelopes(0, 10))
        log.checkpoint_now()
        anchors = published.load()
        assert anchors == log.checkpoints()
        assert [(a.seq_from, a.seq_to) for a in anchors] == [(1, 4), (5, 8), (9, 10)]
        assert log.verify(anchors=anchors).ok
    finally:
        store.close()
