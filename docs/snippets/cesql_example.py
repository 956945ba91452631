import cesdk
from cesdk import cesql

expr = cesql.compile(
    "type LIKE 'io.k8s.%' AND subject IN ('pod/a', 'pod/b') AND k8sreason = 'BackOff'"
)

event = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod",
    subject="pod/a",
    extensions={"k8sreason": "BackOff"},
)
assert expr.matches(event)  # a filter: TRUE and no error
assert expr.evaluate(event) == cesql.Result(True, ())

other = event.replace(subject="pod/c")
assert not expr.matches(other)
