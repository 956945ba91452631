import cesdk
from cesdk.bindings import http

ev = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", data={"reason": "BackOff"})
msg = http.to_binary(ev)
assert http.from_http(msg.headers, msg.body) == ev
