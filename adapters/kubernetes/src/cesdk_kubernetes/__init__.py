"""cesdk kubernetes adapter."""

from cesdk_kubernetes._event_sink import KubernetesEventSink
from cesdk_kubernetes._events_source import KubernetesEventSource
from cesdk_kubernetes._notification import NotificationRequestSource
from cesdk_kubernetes._notification_event import NOTIFICATION_REQUEST_CRD
from cesdk_kubernetes._resource_source import KubernetesResourceSource

__all__ = [
    "NOTIFICATION_REQUEST_CRD",
    "KubernetesEventSink",
    "KubernetesEventSource",
    "KubernetesResourceSource",
    "NotificationRequestSource",
]
