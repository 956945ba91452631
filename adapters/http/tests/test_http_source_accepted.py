"""Accept-then-deliver: 202 once the event is in the durable queue, delivered after a crash."""

from __future__ import annotations

from pathlib import Path

import cesdk
from cesdk.testing import until
from cesdk_http import HttpSource
from http_source_support import BlockedSink, event, running


async def test_accepted_events_are_answered_202_and_delivered(tmp_path: Path) -> None:
    source = HttpSource(port=0, respond="accepted", queue=str(tmp_path / "queue.jsonl"))
    async with running(source) as run:
        answers = [await run.post_event(event(n)) for n in range(3)]
        assert [status for status, _, _ in answers] == [202, 202, 202]
        await run.sink.wait_for(3)
        invalid, _, _ = await run.post(b"{", {"content-type": "application/cloudevents+json"})
    assert invalid == 400  # refused at once: nothing invalid enters the queue
    assert [e.id for e in run.sink.events] == ["ev-0", "ev-1", "ev-2"]


async def test_events_accepted_before_a_stop_are_delivered_after_restart(tmp_path: Path) -> None:
    queue = str(tmp_path / "queue.jsonl")
    blocked = BlockedSink()
    # The first run accepts three events but delivers none (its sink never returns).
    async with running(HttpSource(port=0, respond="accepted", queue=queue), sink=blocked) as run:
        for n in range(3):
            assert (await run.post_event(event(n)))[0] == 202
        await until(lambda: blocked.waiting >= 1, what="the pipeline to read the queue")
        run.pipeline.shutdown_timeout = 0.1  # a crash, as far as the queue can tell
    assert blocked.events == []
    # The second run delivers every accepted event that was not acked before.
    async with running(HttpSource(port=0, respond="accepted", queue=queue)) as run:
        await run.sink.wait_for(3)
    delivered = {e.id for e in run.sink.events}
    assert {"ev-0", "ev-1", "ev-2"} <= delivered


async def test_queue_is_emptied_once_everything_was_delivered(tmp_path: Path) -> None:
    queue = tmp_path / "queue.jsonl"
    async with running(HttpSource(port=0, respond="accepted", queue=str(queue))) as run:
        await run.post_event(event(1))
        await run.sink.wait_for(1)
        await until(
            lambda: (
                (queue.parent / "queue.jsonl.checkpoint").exists()
                and int((queue.parent / "queue.jsonl.checkpoint").read_text())
                == queue.stat().st_size
            ),
            what="the checkpoint to reach the end",
        )
    assert queue.stat().st_size > 0
    source = HttpSource(port=0, respond="accepted", queue=str(queue))
    async with source:
        assert queue.stat().st_size == 0
    assert isinstance(source, cesdk.Source)
