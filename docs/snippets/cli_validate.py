import contextlib
import io
import shutil
import tempfile
from pathlib import Path

from cesdk._cli import main

here = Path(__file__).parent
with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
    shutil.copy(here / "cli_bad_pipeline.yaml", "pipeline.yaml")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["validate", "pipeline.yaml"])

assert status == 2  # invalid: every problem printed, one a line
assert out.getvalue() == (here / "cli_validate_output.txt").read_text()
