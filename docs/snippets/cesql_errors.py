import cesdk
from cesdk import cesql

event = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod")

# A missing attribute: the zero value of the operation, and an error.
value, errors = cesql.compile("k8sreason = 'BackOff'").evaluate(event)
assert value is False
assert isinstance(errors[0], cesql.MissingAttributeError)
assert errors[0].attribute == "k8sreason"

# Division by zero: 0 and a MathError. The error makes the enclosing AND false.
assert cesql.compile("10 / 0").evaluate(event).value == 0
result = cesql.compile("TRUE AND 1 != 10 / 0").evaluate(event)
assert result.value is False
assert [type(e).__name__ for e in result.errors] == ["MathError"]

# A filter passes only on TRUE without errors; EXISTS guards an optional attribute.
assert not cesql.compile("NOT (k8sreason = 'BackOff')").matches(event)
assert cesql.compile("NOT (EXISTS k8sreason AND k8sreason = 'BackOff')").matches(event)

# Invalid text raises ParseError, which shows where.
try:
    cesql.compile("type LIKE 5")
except cesql.ParseError as exc:
    caught = exc
else:
    raise AssertionError("expected a ParseError")
assert (caught.line, caught.column) == (1, 11)
assert str(caught) == (
    "the pattern of LIKE must be a string literal, found the integer 5 at column 11:\n"
    "    type LIKE 5\n"
    "              ^"
)
