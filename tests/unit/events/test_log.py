"""The Log's behaviour, run on every store (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from finmon.core.errors import NotFoundError, ValidationError
from finmon.events.envelope import Envelope
from finmon.events.log import MAX_BODY_BYTES, Log, verify_record_proof
from finmon.events.merkle import GENESIS_HASH, merkle_root, record_hash, verify_inclusion
from finmon.events.signing import Signer
from finmon.events.stores.base import Checkpoint, LogStore
from finmon.testing import sample_envelope, sample_envelopes


def test_empty_log_verifies_and_has_genesis_head(log: Log) -> None:
    assert log.head().seq == 0
    assert log.head().hash == GENESIS_HASH
    report = log.verify()
    assert report.ok
    assert report.records_checked == 0


def test_append_assigns_gapless_sequence_and_chained_hashes(log: Log) -> None:
    first = log.append(sample_envelope(0))
    result = log.append_batch(sample_envelopes(1, 9))
    assert first == 1
    assert [seq for seq, _ in result.appended] == list(range(2, 11))
    records = list(log.read())
    previous = GENESIS_HASH
    for expected_seq, record in enumerate(records, start=1):
        assert record.seq == expected_seq
        assert record.hash == record_hash(previous, record.body)
        previous = record.hash
    assert log.head().seq == 10
    assert log.head().hash == previous


def test_records_decode_back_to_the_appended_envelopes(log: Log) -> None:
    envelopes = sample_envelopes(0, 5)
    log.append_batch(envelopes)
    assert [record.envelope() for record in log.read()] == envelopes


def test_duplicate_event_ids_are_skipped_and_reported(log: Log) -> None:
    log.append_batch(sample_envelopes(0, 3))
    again = log.append_batch([sample_envelope(1), sample_envelope(3), sample_envelope(3)])
    assert again.appended == [(4, sample_envelope(3).id)]
    assert again.duplicates[sample_envelope(1).id] == 2
    assert sample_envelope(3).id in again.duplicates
    assert log.append(sample_envelope(0)) == 1
    assert log.head().seq == 4


def test_checkpoints_every_interval_cover_contiguous_ranges(log: Log) -> None:
    result = log.append_batch(sample_envelopes(0, 40))
    checkpoints = log.checkpoints()
    assert [(c.seq_from, c.seq_to) for c in checkpoints] == [(1, 16), (17, 32)]
    assert result.checkpoints == checkpoints
    leaves = [record.hash for record in log.read(17, 32)]
    assert checkpoints[1].root == merkle_root(leaves)
    assert checkpoints[1].head_hash == leaves[-1]


def test_checkpoints_span_batches(log: Log) -> None:
    for start in range(0, 40, 5):
        log.append_batch(sample_envelopes(start, 5))
    assert [(c.seq_from, c.seq_to) for c in log.checkpoints()] == [(1, 16), (17, 32)]
    assert log.verify(deep=True).ok


def test_checkpoint_now_covers_the_tail_then_nothing(log: Log) -> None:
    log.append_batch(sample_envelopes(0, 20))
    tail = log.checkpoint_now()
    assert tail is not None
    assert (tail.seq_from, tail.seq_to) == (17, 20)
    assert log.checkpoint_now() is None
    log.append_batch(sample_envelopes(20, 16))
    assert log.checkpoints()[-1].seq_from == 21


def test_every_record_has_a_proof_against_its_checkpoint(log: Log) -> None:
    log.append_batch(sample_envelopes(0, 37))
    log.checkpoint_now()
    for seq in range(1, 38):
        proof, checkpoint = log.prove(seq)
        assert checkpoint.seq_from <= seq <= checkpoint.seq_to
        assert verify_inclusion(proof, checkpoint.root)
        assert not verify_inclusion(proof, GENESIS_HASH)


def test_prove_without_a_checkpoint_is_not_found(log: Log) -> None:
    log.append_batch(sample_envelopes(0, 3))
    with pytest.raises(NotFoundError) as caught:
        log.prove(2)
    assert caught.value.field == "seq"


def test_replay_from_a_sequence_number(log: Log) -> None:
    log.append_batch(sample_envelopes(0, 10))
    seen: list[int] = []
    count = log.replay(lambda seq, envelope: seen.append(envelope.payload["n"]), seq_from=4)
    assert count == 7
    assert seen == list(range(3, 10))


def test_read_rejects_sequence_zero(log: Log) -> None:
    with pytest.raises(ValidationError) as caught:
        list(log.read(0))
    assert caught.value.field == "seq_from"


def test_oversized_event_is_rejected_whole(log: Log) -> None:
    log.append(sample_envelope(0))
    batch = [sample_envelope(1), sample_envelope(2, payload_size=MAX_BODY_BYTES)]
    with pytest.raises(ValidationError) as caught:
        log.append_batch(batch)
    assert caught.value.field == "payload"
    assert log.head().seq == 1
    assert len(list(log.read())) == 1


def test_reopened_log_continues_the_same_chain(
    store_factory: Callable[[], LogStore], signer: Signer
) -> None:
    first = Log(store_factory(), signer, checkpoint_interval=8)
    first.append_batch(sample_envelopes(0, 10))
    log_id = first.store.log_id()
    second = Log(store_factory(), signer, checkpoint_interval=8)
    second.append_batch(sample_envelopes(10, 10))
    assert second.store.log_id() == log_id
    assert second.head().seq == 20
    assert second.verify(deep=True).ok


def test_checkpoint_signed_by_an_unknown_key_fails(
    store_factory: Callable[[], LogStore], signer: Signer
) -> None:
    Log(store_factory(), signer, checkpoint_interval=4).append_batch(sample_envelopes(0, 8))
    stranger = Log(store_factory(), Signer.generate(), checkpoint_interval=4)
    report = stranger.verify()
    assert not report.ok
    assert report.first is not None
    assert report.first.kind == "bad_checkpoint"
    trusting = Log(store_factory(), Signer.generate(), trusted_keys=[signer.public_key])
    assert trusting.verify().ok


def test_anchor_from_outside_catches_a_rewritten_history(
    store_factory: Callable[[], LogStore], signer: Signer
) -> None:
    published: list[Checkpoint] = []
    log = Log(store_factory(), signer, checkpoint_interval=4, on_checkpoint=published.append)
    log.append_batch(sample_envelopes(0, 8))
    assert len(published) == 2
    assert log.verify(anchors=published).ok
    forged = dataclasses.replace(published[0], head_hash=GENESIS_HASH)
    report = log.verify(anchors=[forged])
    assert not report.ok
    assert report.first is not None
    assert report.first.kind == "bad_checkpoint"


def test_checkpoint_interval_must_be_positive(store: LogStore, signer: Signer) -> None:
    with pytest.raises(ValidationError) as caught:
        Log(store, signer, checkpoint_interval=0)
    assert caught.value.field == "checkpoint_interval"


def test_record_proof_binds_signature_position_and_size(log: Log, signer: Signer) -> None:
    log.append_batch(sample_envelopes(0, 20))
    proof, checkpoint = log.prove(5)
    log_id = log.store.log_id()
    assert verify_record_proof(proof, checkpoint, signer.public_key, log_id)
    assert not verify_record_proof(proof, checkpoint, Signer.generate().public_key, log_id)
    assert not verify_record_proof(proof, checkpoint, signer.public_key, "another-log")
    moved = dataclasses.replace(proof, seq=6)
    assert not verify_record_proof(moved, checkpoint, signer.public_key, log_id)
    resized = dataclasses.replace(proof, tree_size=proof.tree_size + 1)
    assert not verify_record_proof(resized, checkpoint, signer.public_key, log_id)


def test_apply_runs_in_the_append_transaction(log: Log) -> None:
    seen: list[list[int]] = []

    def project(connection: object, appended: list[tuple[int, Envelope]]) -> None:
        assert connection is not None
        seen.append([seq for seq, _ in appended])

    log.append_batch(sample_envelopes(0, 3), apply=project)
    log.append_batch([sample_envelope(1), sample_envelope(3)], apply=project)
    assert seen == [[1, 2, 3], [4]]


def test_a_failing_apply_rolls_the_whole_batch_back(log: Log) -> None:
    log.append(sample_envelope(0))

    def refuse(connection: object, appended: list[tuple[int, Envelope]]) -> None:
        raise ValidationError("projection refused", field="amount")

    with pytest.raises(ValidationError):
        log.append_batch(sample_envelopes(1, 5), apply=refuse)
    assert log.head().seq == 1
    assert [record.seq for record in log.read()] == [1]
    assert log.append_batch(sample_envelopes(1, 5)).last_seq == 6
    assert log.verify(deep=True).ok
