from pathlib import Path

import cesdk

# The YAML shown on the adapter pages is valid: plugins, options and their types.
here = Path(__file__).parent
for name in ("http_source.yaml", "http_source_accepted.yaml", "webhook_sink.yaml"):
    assert cesdk.validate_file(here / name) == [], name
