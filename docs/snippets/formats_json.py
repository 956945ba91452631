import cesdk
from cesdk.formats import json

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="1",
    time="2024-05-14T09:21:07Z",
    data={"reason": "BackOff"},
)

body = json.encode(ev)  # compact UTF-8 bytes
assert json.CONTENT_TYPE == "application/cloudevents+json"
assert body == (
    b'{"specversion":"1.0","id":"1","source":"/k8s/prod","type":"io.k8s.event.warning",'
    b'"time":"2024-05-14T09:21:07Z","data":{"reason":"BackOff"}}'
)
assert json.decode(body) == ev

# JSON values and str go to "data"; bytes go to "data_base64".
raw = ev.replace(data=b"\x89PNG", datacontenttype="image/png")
assert b'"data_base64":"iVBORw=="' in json.encode(raw)
assert json.decode(json.encode(raw)).data == b"\x89PNG"

text = ev.replace(data="<warning/>", datacontenttype="application/xml")
assert b'"data":"<warning/>"' in json.encode(text)
