import yaml

import cesdk
from cesdk import filters

document = yaml.safe_load(
    """
filter:
  - prefix: {type: io.k8s.event.}
  - any:
      - exact: {k8sreason: BackOff}
      - sql: "k8sreason LIKE '%Error'"
"""
)
f = filters.build(document["filter"])  # a list: all of them must pass
ev = cesdk.CloudEvent(
    type="io.k8s.event.warning", source="/k8s", extensions={"k8sreason": "BackOff"}
)
assert f(ev)
assert f(ev.replace(k8sreason="ImagePullError"))
assert not f(ev.replace(k8sreason="Pulled"))
assert filters.build([])(ev)  # no filters: every event passes
