import cesdk
from cesdk import cesql

event = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    id="42",
    time="2024-05-01T12:00:00Z",
    extensions={"restarts": "7", "critical": True, "blob": b"\x00\x01"},
)

# An expression's value is a Boolean, an Integer or a String.
assert cesql.compile("restarts + 1").evaluate(event).value == 8  # "7" is cast to Integer
assert cesql.compile("UPPER(source)").evaluate(event).value == "/K8S/PROD"
assert cesql.compile("critical").evaluate(event).value is True

# Timestamps, URIs and Binary values are Strings.
assert cesql.compile("time LIKE '2024-05-%'").matches(event)
assert cesql.compile("blob").evaluate(event).value == "AAE="

# Keywords and function names are case-insensitive.
assert cesql.compile("exists time and lower(type) = type").matches(event)
