import cesdk
from cesdk import filters

push = cesdk.CloudEvent(
    type="com.github.push", source="/github", subject="https://github.com/cloudevents/spec"
)

f = filters.build(
    {
        "all": [
            {"prefix": {"type": "com.github."}},
            {"any": [{"suffix": {"subject": "/spec"}}, {"exact": {"subject": "sdk-go"}}]},
            {"not": {"exact": {"type": "com.github.fork"}}},
            {"sql": "source LIKE '/github%'"},
        ]
    }
)
assert f(push)
assert not f(push.replace(type="com.github.fork"))
assert f.spec["all"][0] == {"prefix": {"type": "com.github."}}  # the JSON form back
