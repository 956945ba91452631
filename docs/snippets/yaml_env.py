import tempfile
from pathlib import Path

from cesdk import ConfigError, load_pipeline

text = """\
name: ${PIPELINE_NAME}
source:
  use: generator
  count: ${COUNT:-10}          # unset or empty: the default
  type: "$${not.a.variable}"   # $${ escapes a literal ${
sink: console
"""

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "pipeline.yaml"
    path.write_text(text)

    pipeline = load_pipeline(path, environ={"PIPELINE_NAME": "demo", "COUNT": "5"})
    assert pipeline.name == "demo"
    assert pipeline.source.count == 5  # typed as YAML types `5`: an integer
    assert pipeline.source.type == "${not.a.variable}"

    assert load_pipeline(path, environ={"PIPELINE_NAME": "demo"}).source.count == 10

    try:
        load_pipeline(path, environ={})
    except ConfigError as exc:
        caught = exc
    else:
        raise AssertionError("expected ConfigError")

assert (caught.line, caught.key) == (1, "name")
assert "environment variable PIPELINE_NAME is not set" in caught.reason
