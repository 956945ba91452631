import shlex
from pathlib import Path

from cesdk._cli import build_parser

# Every `cesdk` command line the CLI page shows parses with the real parser.
parser = build_parser()
checked = 0
for script in sorted(Path(__file__).parent.glob("cli_*.sh")):
    for line in script.read_text().splitlines():
        words = shlex.split(line, comments=True)
        while words and "=" in words[0]:  # VAR=value prefixes
            words.pop(0)
        if words and words[0] == "cesdk":
            parser.parse_args(words[1:])
            checked += 1
assert checked >= 12
