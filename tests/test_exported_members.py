"""The public surface: ``cesdk.__all__`` is sorted and lists exactly what is exported.

After httpx's ``tests/test_exported_members.py`` (STYLE.md rule 1).
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys

import pytest

import cesdk

# Private names that are public on purpose.
INCLUDED_PRIVATE_MEMBERS = {"__version__"}

PUBLIC_SUBMODULES = [
    "cesdk.formats",
    "cesdk.formats.json",
    "cesdk.formats.avro",
    "cesdk.formats.protobuf",
    "cesdk.bindings",
    "cesdk.bindings.amqp",
    "cesdk.bindings.http",
    "cesdk.bindings.kafka",
    "cesdk.bindings.mqtt",
    "cesdk.bindings.nats",
    "cesdk.bindings.websockets",
    "cesdk.templates",
    "cesdk.interop",
    "cesdk.cesql",
    "cesdk.filters",
    "cesdk.extensions",
    "cesdk.plugins",
    "cesdk.testing",
]


def isort_style_key(name: str) -> tuple[int, list[object]]:
    """Order names as ruff's RUF022 "isort-style" sort does.

    SCREAMING_SNAKE_CASE constants first, then CamelCase classes, then everything else;
    a natural sort (digit runs compared as numbers) within each group.
    """
    if name.isupper():
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    natural = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
    return group, natural


def test_isort_style_key_orders_constants_classes_then_the_rest() -> None:
    """STYLE.md 1 (the sort order itself): constants, classes, then the rest."""
    names = ["bindings", "NoData", "__version__", "NO_DATA", "CloudEvent", "x10", "x9"]
    assert sorted(names, key=isort_style_key) == [
        "NO_DATA",
        "CloudEvent",
        "NoData",
        "__version__",
        "bindings",
        "x9",
        "x10",
    ]


def test_all_is_sorted() -> None:
    """STYLE.md 1: ``cesdk.__all__`` is kept sorted (isort-style, as ruff RUF022 keeps it)."""
    assert cesdk.__all__ == sorted(cesdk.__all__, key=isort_style_key)


def test_all_has_no_duplicates() -> None:
    """STYLE.md 1: each public name is declared once."""
    assert len(cesdk.__all__) == len(set(cesdk.__all__))


def test_all_imports_are_exported() -> None:
    """STYLE.md 1: ``__all__`` equals the public names that ``import cesdk`` defines.

    Checked in a fresh interpreter: other tests import submodules such as
    ``cesdk.interop``, which would otherwise show up as attributes of the package.
    """
    # Names that load on first use (module __getattr__) count as defined.
    probe = (
        "import cesdk, json; "
        "print(json.dumps(sorted(set(vars(cesdk)) | set(getattr(cesdk, '_LAZY', ())))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    names = json.loads(result.stdout)
    public = sorted(
        (n for n in names if not n.startswith("_") or n in INCLUDED_PRIVATE_MEMBERS),
        key=isort_style_key,
    )
    assert cesdk.__all__ == public


def test_design_contract_names_are_exported() -> None:
    """DESIGN.md "Public contracts": the names other code relies on exist."""
    for name in ("CloudEvent", "NO_DATA", "CESDKError", "InvalidEventError", "DecodeError"):
        assert name in cesdk.__all__
    assert cesdk.formats.json.encode is not None
    assert cesdk.bindings.http.from_http is not None
    assert cesdk.bindings.kafka.from_kafka is not None
    assert cesdk.bindings.nats.from_nats is not None


@pytest.mark.parametrize("module_name", PUBLIC_SUBMODULES)
def test_submodule_all_is_sorted_and_resolves(module_name: str) -> None:
    """STYLE.md 1/6: every public sub-namespace declares a sorted ``__all__`` of real names."""
    module = importlib.import_module(module_name)
    exported = module.__all__
    assert exported == sorted(exported, key=isort_style_key)
    assert len(exported) == len(set(exported))
    missing = [name for name in exported if not hasattr(module, name)]
    assert missing == []


@pytest.mark.parametrize("name", ["encode", "decode", "encode_batch", "decode_batch"])
def test_json_format_has_the_format_shape(name: str) -> None:
    """STYLE.md 6: a format module has encode, decode, the batch pair and CONTENT_TYPE."""
    module = cesdk.formats.json
    assert callable(getattr(module, name))
    assert module.CONTENT_TYPE == "application/cloudevents+json"
    assert module.BATCH_CONTENT_TYPE == "application/cloudevents-batch+json"


def test_error_tree() -> None:
    """DESIGN.md / STYLE.md 9: one exception tree with builtin mixins."""
    assert issubclass(cesdk.InvalidEventError, cesdk.CESDKError)
    assert issubclass(cesdk.InvalidEventError, ValueError)
    assert issubclass(cesdk.DecodeError, cesdk.CESDKError)
    assert issubclass(cesdk.DecodeError, ValueError)
    assert issubclass(cesdk.InvalidMessageError, cesdk.DecodeError)
    assert issubclass(cesdk.InvalidMessageError, cesdk.InvalidEventError)
    assert issubclass(cesdk.EncodeError, cesdk.CESDKError)
    assert issubclass(cesdk.MissingDependencyError, ImportError)
