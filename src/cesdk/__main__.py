"""``python -m cesdk``: the ``cesdk`` command."""

from cesdk._cli import main

raise SystemExit(main())
