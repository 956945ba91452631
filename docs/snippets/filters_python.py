import cesdk
from cesdk import filters

warnings = filters.Prefix(type="io.k8s.event.warning")
noisy = filters.Exact(k8sreason="Pulled") | filters.Sql("INT(count) < 3")
f = warnings & ~noisy  # AllOf([warnings, Not(AnyOf([...]))])

ev = cesdk.CloudEvent(
    type="io.k8s.event.warning", source="/k8s", extensions={"k8sreason": "BackOff", "count": "5"}
)
assert f(ev)
assert not f(ev.replace(count="1"))
assert f.spec == {
    "all": [
        {"prefix": {"type": "io.k8s.event.warning"}},
        {"not": {"any": [{"exact": {"k8sreason": "Pulled"}}, {"sql": "INT(count) < 3"}]}},
    ]
}
