import tempfile
from pathlib import Path

import cesdk
from cesdk import ConfigError, load_pipeline, validate_file

text = """\
source:
  use: generator
  count: ${COUNT}
sink:
  use: console
  colour: true
  token: ${SLACK_TOKEN}
delivery:
  backoffDelay: 5 seconds
"""
environ = {"SLACK_TOKEN": "xoxb-secret", "COUNT": "many"}

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "pipeline.yaml"
    path.write_text(text)

    # validate_file returns every problem, in line order.
    problems = validate_file(path, environ=environ)
    assert [(p.line, p.key) for p in problems] == [
        (3, "source.count"),
        (6, "sink.colour"),
        (7, "sink.token"),
        (9, "delivery.backoffDelay"),
    ]
    assert "did you mean 'color'?" in problems[1].reason
    assert all("xoxb-secret" not in str(p) for p in problems)  # secrets never shown

    # load_pipeline raises them together.
    try:
        load_pipeline(path, environ=environ)
    except ConfigError as exc:
        caught = exc
    else:
        raise AssertionError("expected ConfigError")

assert isinstance(caught, cesdk.CESDKError)
assert isinstance(caught, ValueError)
assert [str(p) for p in caught.problems] == [str(p) for p in problems]
assert (caught.line, caught.key) == (3, "source.count")  # the first problem
