import cesdk

try:
    cesdk.CloudEvent(
        type="",
        source="k8s prod",
        time="yesterday",
        dataschema="/schemas/warning.json",
        extensions={"Trace-Id": "abc", "restarts": 2**40, "ratio": 0.5},
    )
except cesdk.InvalidEventError as exc:
    caught = exc
else:
    raise AssertionError("expected InvalidEventError")

# One exception lists every problem, keyed by attribute name.
problems = caught.errors
assert sorted(problems) == [
    "Trace-Id",
    "dataschema",
    "ratio",
    "restarts",
    "source",
    "time",
    "type",
]
assert problems["type"] == "must be a non-empty String"
assert "absolute URI" in problems["dataschema"]
assert "32-bit range" in problems["restarts"]
assert "no floating-point type" in problems["ratio"]

# It is also a ValueError, for code that does not know about cesdk.
assert isinstance(caught, ValueError)
