from cesdk import filters

for spec, path in [
    ({"exakt": {"type": "x"}}, "filter"),
    ({"all": []}, "filter.all"),
    ({"any": [{"prefix": {"type": ""}}]}, "filter.any[0].prefix"),
    ([{"exact": {"type": "x"}}, {"sql": "type ="}], "filters[1].sql"),
]:
    try:
        filters.build(spec)
    except filters.InvalidFilterError as exc:
        caught = exc
    else:
        raise AssertionError(f"{spec} was accepted")
    assert caught.path == path, caught

try:
    filters.build({"sql": "type LIKE 5"})
except filters.InvalidFilterError as exc:
    message = str(exc)
assert message.startswith("filter.sql: invalid CESQL expression: the pattern of LIKE")
assert message.endswith("    type LIKE 5\n              ^")
