import asyncio

import cesdk
from cesdk.testing import CapturingSink

refusing = CapturingSink(permanent=True)  # every send raises PermanentDeliveryError
dead_letters = CapturingSink()
source = cesdk.MemorySource(
    [cesdk.CloudEvent(type="t", source="/s", id="1"), b"{not json"]  # one event, one garbage
)
pipeline = cesdk.Pipeline(
    source, routes=[cesdk.Route(refusing, name="hook")], dead_letter=dead_letters
)
asyncio.run(pipeline.run())

by_type = {ev.type: ev for ev in dead_letters.events}
failed = by_type["t"]
assert failed["deadlettersink"] == "hook"
assert failed["deadletterattempts"] == 1  # permanent errors are not retried
assert failed["deadletterreason"].startswith("permanent failure")
undecodable = by_type["dev.cesdk.deadletter.undecodable"]
assert undecodable.data == b"{not json"  # the raw bytes are kept
assert len(source.acked) == 2  # both settled: nothing is redelivered forever
