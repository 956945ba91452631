"""CloudEvents conformance suite for cesdk: spec-cited cases as data, and a runner.

The cases live in ``cases/<document>.yaml`` (format: :mod:`cesdk_spec_tests.runner`).
Run them with pytest (this package is a pytest plugin), or write a report comparing
cesdk with the official SDK::

    python -m cesdk_spec_tests.report docs/conformance.md
"""

from cesdk_spec_tests._cases import DOCUMENTS, OPERATIONS, Case, CaseError, load_cases
from cesdk_spec_tests._cesdk_impl import CesdkImplementation
from cesdk_spec_tests._official_impl import OfficialSdkImplementation
from cesdk_spec_tests.implementation import (
    EventSpec,
    Implementation,
    IncomparableResultError,
    Message,
    UnsupportedOperationError,
)
from cesdk_spec_tests.runner import Result, run_case

__all__ = [
    "DOCUMENTS",
    "OPERATIONS",
    "Case",
    "CaseError",
    "CesdkImplementation",
    "EventSpec",
    "Implementation",
    "IncomparableResultError",
    "Message",
    "OfficialSdkImplementation",
    "Result",
    "UnsupportedOperationError",
    "load_cases",
    "run_case",
]
