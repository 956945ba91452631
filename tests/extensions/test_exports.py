"""cesdk.extensions declares its public names once, in a sorted __all__."""

from __future__ import annotations

import cesdk.extensions


def test_all_is_sorted_and_complete() -> None:
    """STYLE.md 1: one public namespace, declared once, tested."""
    public = {name for name in vars(cesdk.extensions) if not name.startswith("_")}
    assert set(cesdk.extensions.__all__) == public
    assert list(cesdk.extensions.__all__) == sorted(
        cesdk.extensions.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)
    )


def test_every_export_is_documented() -> None:
    """STYLE.md 17: every public callable has a docstring."""
    for name in cesdk.extensions.__all__:
        obj = getattr(cesdk.extensions, name)
        if callable(obj):
            assert obj.__doc__, name
