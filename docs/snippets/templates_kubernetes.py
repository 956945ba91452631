import cesdk
from cesdk import templates

warning = cesdk.CloudEvent(
    type="io.k8s.event.warning",
    source="/k8s/prod/shop",
    subject="Pod/web-1",
    data={
        "regarding": {"kind": "Pod", "name": "web-1", "namespace": "shop"},
        "reason": "BackOff",
        "note": "Back-off restarting failed container",
        "type": "Warning",
        "series": {"count": 7, "lastObservedTime": "2026-11-27T10:05:00Z"},
        "deprecatedFirstTimestamp": "2026-11-27T09:00:00Z",
        "reportingController": "kubelet",
    },
)
print(templates.default("email_subject").render(warning))
print(templates.default("slack").render(warning))
