from cloudevents.core.v1.event import CloudEvent as SdkCloudEvent

import cesdk
from cesdk import interop

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    time="2024-05-14T09:21:07.482913Z",
    data={"reason": "BackOff"},
    extensions={"partitionkey": "web-1"},
)

# To the official SDK and back.
sdk_event = interop.to_sdk(ev)
assert isinstance(sdk_event, SdkCloudEvent)
assert sdk_event.get_data() == {"reason": "BackOff"}
assert interop.from_sdk(sdk_event) == ev

# An event from the official SDK passes cesdk's validation on the way in.
incoming = SdkCloudEvent(
    {"type": "io.k8s.event.normal", "source": "/k8s/prod", "id": "7"}, {"reason": "Pulled"}
)
assert interop.from_sdk(incoming).data == {"reason": "Pulled"}

# The official SDK holds time as a datetime: digits beyond microseconds are lost.
precise = ev.replace(time="2024-05-14T09:21:07.482913123Z")
assert interop.from_sdk(interop.to_sdk(precise)).time.rfc3339 == "2024-05-14T09:21:07.482913Z"

# It has one None for both "no data" and JSON null; cesdk reads None back as no data.
null = ev.replace(data=None)
assert interop.from_sdk(interop.to_sdk(null)).data is cesdk.NO_DATA

# Its constructor fills in a missing time, so a time-less event gains one.
timeless = ev.replace(time=None)
assert interop.to_sdk(timeless).get_time() is not None
