import io

import fastavro  # only to show that any Avro library reads the bytes

import cesdk
from cesdk.formats import avro

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time="2024-05-14T09:21:07.123456789Z",
    data={"reason": "BackOff", "count": 3, "pod": {"name": "web-1"}},
    extensions={"retries": 3, "urgent": True},
)
body = avro.encode(ev)
assert avro.CONTENT_TYPE == "application/cloudevents+avro"
assert avro.decode(body) == ev

# The bytes are one record of the spec's schema, which avro.schema() returns.
record = fastavro.schemaless_reader(io.BytesIO(body), fastavro.parse_schema(avro.schema()), None)
assert record["attribute"]["time"] == "2024-05-14T09:21:07.123456789Z"  # every digit kept
assert record["attribute"]["retries"] == 3  # Integer as Avro int
assert record["data"] == {"reason": "BackOff", "count": 3.0, "pod": {"value": {"name": "web-1"}}}

# No data is Avro null; JSON the schema cannot hold exactly travels as JSON text.
assert avro.decode(avro.encode(ev.replace(data=cesdk.NO_DATA))).has_data is False
listy = ev.replace(data={"ids": [1, 2, 3]})
back = avro.decode(avro.encode(listy))
assert back.data == {"ids": [1, 2, 3]}
assert back.datacontenttype == "application/json"  # stated, and equal to no type at all
assert back == listy
