import asyncio
import contextlib
import io
import os
import tempfile
from pathlib import Path

import cesdk
from cesdk import load_pipeline, validate_file

here = Path(__file__).parent
assert validate_file(here / "yaml_minimal.yaml") == []

pipeline = load_pipeline(here / "yaml_minimal.yaml")
assert isinstance(pipeline.source, cesdk.GeneratorSource)
console = pipeline.routes[0].sink
assert isinstance(console, cesdk.ConsoleSink)
console.stream = io.StringIO()  # capture what `cesdk run` would print

with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
    # The default dead letter sink writes ./deadletter.jsonl, only if something fails.
    asyncio.run(pipeline.run())
    assert not os.path.getsize("deadletter.jsonl")

assert console.stream.getvalue().count("☁  dev.cesdk.generated") == 3
assert pipeline.metrics.total("delivered") == 3
