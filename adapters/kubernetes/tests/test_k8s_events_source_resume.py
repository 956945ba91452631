"""KubernetesEventSource resume semantics: settlement, checkpoints, bookmarks, 410, reconnects.

Kubernetes API concepts ("Efficient detection of changes"): a watch starts from a
resourceVersion; bookmarks carry only a resourceVersion; a version older than the
history is answered ``410 Gone`` and the client must list again. The checkpoint stores
the highest resourceVersion whose deliveries have *all* settled.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from cesdk import Delivery
from cesdk.testing import until
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver
from k8s_source_helpers import event_source, ids, nothing_more, take

__all__ = ["fake_apiserver"]


def stored_position(path: Path, key: str = "events/*") -> str | None:
    if not path.exists():
        return None
    return json.loads(path.read_text())["streams"].get(key)


def watches(fake: FakeApiServer) -> list[dict[str, str]]:
    return [dict(r.query) for r in fake.requests if r.query.get("watch") == "true"]


def lists(fake: FakeApiServer) -> list[dict[str, str]]:
    return [
        dict(r.query)
        for r in fake.requests
        if r.path.endswith("/events") and r.method == "GET" and "watch" not in r.query
    ]


async def test_checkpoint_moves_only_over_settled_prefix(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    async with event_source(fake) as source:
        await fake.wait_for_watches_async(1)
        # The list's position reaches the loop by a callback of its own: wait for it.
        listed = fake.resource_version
        await until(lambda: source.positions.get("events/*") == listed, timeout=10)
        start = source.positions["events/*"]
        made = fake.inject_events(3)
        one, two, three = await take(source, 3, ack=False)
        await three.ack()
        await two.ack()
        assert source.positions["events/*"] == start  # one is still in flight
        await one.ack()
        assert source.positions["events/*"] == made[2]["metadata"]["resourceVersion"]


async def test_batches_hand_out_what_is_ready_and_settle_per_delivery(
    fake_apiserver: FakeApiServer,
) -> None:
    fake = fake_apiserver
    async with event_source(fake) as source:
        await fake.wait_for_watches_async(1)
        listed = fake.resource_version
        await until(lambda: source.positions.get("events/*") == listed, timeout=10)
        made = fake.inject_events(5)
        batches = aiter(source.batches())
        got: list[Delivery] = []
        async with asyncio.timeout(10):
            while len(got) < 5:
                got.extend(await anext(batches))
        names = [d.event.data["metadata"]["name"] for d in got if d.event is not None]
        assert names == [e["metadata"]["name"] for e in made]
        for delivery in got[1:]:
            await delivery.ack()
        assert source.positions["events/*"] == listed  # the first is still in flight
        await got[0].ack()
        assert source.positions["events/*"] == made[-1]["metadata"]["resourceVersion"]


async def test_bookmarks_advance_the_checkpoint(
    fake_apiserver: FakeApiServer, tmp_path: Path
) -> None:
    fake = fake_apiserver
    file = tmp_path / "events.json"
    fake.inject_events(2)
    async with event_source(fake, checkpoint=f"file://{file}", checkpoint_interval=0.05) as source:
        await take(source, 2)
        await fake.wait_for_watches_async(1)
        listed_at = source.positions["events/*"]
        # Writes to other resources move the server's version but send no Event.
        fake.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "x", "namespace": "default"},
            }
        )
        target = fake.resource_version
        assert int(target) > int(listed_at)
        fake.bookmark()
        await until(lambda: stored_position(file) == target, timeout=10)
    assert stored_position(file) == target


async def test_bookmark_waits_for_unsettled_deliveries(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    async with event_source(fake) as source:
        await fake.wait_for_watches_async(1)
        # The list's position reaches the loop by a callback of its own: wait for it.
        listed = fake.resource_version
        await until(lambda: source.positions.get("events/*") == listed, timeout=10)
        start = source.positions["events/*"]
        fake.inject_events(1)
        [delivery] = await take(source, 1, ack=False)
        fake.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "y", "namespace": "default"},
            }
        )
        target = fake.resource_version
        fake.bookmark()
        progress = source._streams[0].progress  # white-box: the queue of entries
        await until(lambda: progress.in_flight == 2, timeout=10)  # the delivery, the bookmark
        assert source.positions["events/*"] == start
        await delivery.ack()
        assert source.positions["events/*"] == target


async def test_restart_resumes_from_checkpoint_without_listing(
    fake_apiserver: FakeApiServer, tmp_path: Path
) -> None:
    fake = fake_apiserver
    checkpoint = f"file://{tmp_path / 'cp.json'}"
    first = fake.inject_events(3)
    async with event_source(fake, checkpoint=checkpoint) as source:
        got = await take(source, 3)
    saved = stored_position(tmp_path / "cp.json")
    assert saved is not None
    # While stopped: new Events, a repeat of an old one.
    later = fake.inject_events(2, reason="WhileDown")
    fake.repeat_event(first[0]["metadata"]["name"])
    fake.clear_requests()
    async with event_source(fake, checkpoint=checkpoint) as source:
        resumed = await take(source, 3)
        await nothing_more(source, fake)
    assert ids(got) == [f"{e['metadata']['uid']}.1" for e in first]
    assert ids(resumed) == [
        *(f"{e['metadata']['uid']}.1" for e in later),
        f"{first[0]['metadata']['uid']}.2",
    ]
    assert lists(fake) == []  # no list: watched from the checkpoint
    assert watches(fake)[0]["resourceVersion"] == saved


async def test_gone_after_restart_relists_with_the_same_ids(
    fake_apiserver: FakeApiServer, tmp_path: Path
) -> None:
    fake = fake_apiserver
    checkpoint = f"file://{tmp_path / 'cp.json'}"
    first = fake.inject_events(2)
    async with event_source(fake, checkpoint=checkpoint) as source:
        got = await take(source, 2)
    later = fake.inject_events(2, reason="WhileDown")
    fake.compact()  # the checkpointed version is gone now
    fake.clear_requests()
    async with event_source(fake, checkpoint=checkpoint) as source:
        replayed = await take(source, 4)
        await nothing_more(source, fake)
        assert source.threads[0].lists == 1
    # Every Event the server still has, with the ids it had before: dedup drops the old.
    assert set(ids(replayed)) == set(ids(got)) | {f"{e['metadata']['uid']}.1" for e in later}
    assert set(ids(got)) == {f"{e['metadata']['uid']}.1" for e in first}
    assert len(lists(fake)) == 1


async def test_gone_while_disconnected_relists_and_misses_nothing(
    fake_apiserver: FakeApiServer,
) -> None:
    fake = fake_apiserver
    fake.inject_events(2)
    async with event_source(fake) as source:
        await take(source, 2)
        await fake.wait_for_watches_async(1)
        fake.stop_serving()
        missed = fake.inject_events(3, reason="Missed")
        fake.compact()
        fake.start_serving()
        got = await take(source, 3, timeout=30)
        await nothing_more(source, fake)
        assert source.threads[0].lists == 2
    assert ids(got) == [f"{e['metadata']['uid']}.1" for e in missed]


async def test_gone_on_list_continue_lists_again(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    made = fake.inject_events(9)
    async with event_source(fake, page_size=2, max_buffered_batches=1) as source:
        # One page taken by the loop, the next read and waiting: the thread is blocked
        # before asking for page 3.
        await until(lambda: len(lists(fake)) == 2, timeout=10)
        fake.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "z", "namespace": "default"},
            }
        )
        fake.compact()  # page 3's continue token is now older than the history
        got = await take(source, 9)
        await nothing_more(source, fake)
    answered = [
        (r.query.get("continue") is None, r.status)
        for r in fake.requests
        if r.path.endswith("/events") and "watch" not in r.query
    ]
    # page 1, page 2, page 3 refused (410 Expired), then a fresh list from page 1
    assert answered[:4] == [(True, 200), (False, 200), (False, 410), (True, 200)]
    assert sorted(ids(got)) == sorted(f"{e['metadata']['uid']}.1" for e in made)


async def test_dropped_watches_reconnect_and_miss_nothing(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    async with event_source(fake) as source:
        await fake.wait_for_watches_async(1)
        expected: list[str] = []
        for abrupt in (True, False, True):
            fake.drop_watches(abrupt=abrupt)
            made = fake.inject_events(2, reason=f"After-{abrupt}")
            expected += [f"{e['metadata']['uid']}.1" for e in made]
            await fake.wait_for_watches_async(1, timeout=15)
        got = await take(source, len(expected), timeout=30)
        await nothing_more(source, fake)
        assert source.threads[0].lists == 1  # reconnected from the last version: no list
    assert ids(got) == expected


async def test_server_restart_reconnects_and_misses_nothing(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    async with event_source(fake) as source:
        await fake.wait_for_watches_async(1)
        before = fake.inject_events(2, reason="Before")
        got = await take(source, 2)
        fake.stop_serving()
        during = fake.inject_events(3, reason="During")
        fake.start_serving()
        got += await take(source, 3, timeout=30)
        fake.restart()
        after = fake.inject_events(1, reason="After")
        got += await take(source, 1, timeout=30)
        await nothing_more(source, fake)
    assert ids(got) == [f"{e['metadata']['uid']}.1" for e in before + during + after]
