import cesdk
from cesdk.formats import json

empty = cesdk.CloudEvent(type="t", source="/s", id="1", time=None)
null = cesdk.CloudEvent(type="t", source="/s", id="1", time=None, data=None)

# No data at all: data is the NO_DATA sentinel, which is falsy.
assert empty.data is cesdk.NO_DATA
assert not empty.has_data

# data=None is data: a JSON null.
assert null.data is None
assert null.has_data

# The two are different events, and the JSON format keeps them apart.
assert empty != null
assert json.encode(empty) == b'{"specversion":"1.0","id":"1","source":"/s","type":"t"}'
assert json.encode(null).endswith(b',"data":null}')
assert json.decode(json.encode(null)).data is None
assert json.decode(json.encode(empty)).data is cesdk.NO_DATA
