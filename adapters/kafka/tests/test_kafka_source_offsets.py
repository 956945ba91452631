"""Contiguous-offset commits (DESIGN.md "Delivery semantics"): the position a partition
may commit only advances over settled records, whatever order they settle in."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cesdk_kafka import PartitionOffsets


def test_out_of_order_settlement_waits_for_the_gap() -> None:
    offsets = PartitionOffsets()
    for n in range(5):
        offsets.track(n)
    for n in (4, 2, 3):
        offsets.settle(n)
    assert offsets.committable() is None  # 0 and 1 are in flight
    offsets.settle(1)
    assert offsets.committable() is None
    offsets.settle(0)
    assert offsets.committable() == 5
    offsets.committed = 5
    assert offsets.committable() is None  # nothing new since


def test_a_nacked_record_holds_the_position_back() -> None:
    offsets = PartitionOffsets()
    for n in (10, 11, 12):
        offsets.track(n)
    offsets.settle(10)
    offsets.requeue()  # 11 nacked: waits to be delivered again
    offsets.settle(12)
    assert offsets.committable() == 11
    assert offsets.in_flight == 0
    offsets.redeliver()
    offsets.settle(11)
    assert offsets.committable() == 13


def test_gaps_in_offsets_are_not_waited_for() -> None:
    """Compaction and transaction markers leave holes: the fetch order is what counts."""
    offsets = PartitionOffsets()
    for n in (3, 7, 8, 20):
        offsets.track(n)
    for n in (20, 3, 8):
        offsets.settle(n)
    assert offsets.committable() == 4
    offsets.settle(7)
    assert offsets.committable() == 21
    assert offsets.pending == 0


def test_offsets_must_grow() -> None:
    offsets = PartitionOffsets()
    offsets.track(5)
    with pytest.raises(ValueError, match="fetched after"):
        offsets.track(5)


@given(st.data())
def test_position_is_one_past_the_settled_prefix(data: st.DataObject) -> None:
    fetched = sorted(data.draw(st.sets(st.integers(0, 10_000), min_size=1, max_size=60)))
    order = data.draw(st.permutations(fetched))
    count = data.draw(st.integers(0, len(order)))
    offsets = PartitionOffsets()
    for n in fetched:
        offsets.track(n)
    settled = set(order[:count])
    for n in order[:count]:
        offsets.settle(n)
    prefix = 0
    while prefix < len(fetched) and fetched[prefix] in settled:
        prefix += 1
    expected = fetched[prefix - 1] + 1 if prefix else None
    assert offsets.committable() == expected
    # Never past an unsettled record:
    unsettled = [n for n in fetched if n not in settled]
    if unsettled and expected is not None:
        assert expected <= min(unsettled)
    assert offsets.in_flight == len(fetched) - count
