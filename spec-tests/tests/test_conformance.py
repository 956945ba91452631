"""Every conformance case against the implementation under test (cesdk by default).

The ``cesdk_spec_tests`` plugin parametrizes ``spec_case``; pytest ids are case ids.
"""

from cesdk_spec_tests import Case, Implementation
from cesdk_spec_tests.plugin import assert_conforms


def test_spec_case(spec_case: Case, spec_implementation: Implementation) -> None:
    assert_conforms(spec_implementation, spec_case)
