"""pytest plugin of the conformance suite (registered through the ``pytest11`` entry point).

Any test that takes a ``spec_case`` argument runs once per case, with the case id as
its pytest id; the ``spec_implementation`` fixture is the implementation under test.
To check your own library, subclass :class:`~cesdk_spec_tests.Implementation` and
write one test::

    from cesdk_spec_tests.plugin import assert_conforms

    def test_spec(spec_case, spec_implementation):
        assert_conforms(spec_implementation, spec_case)

then run ``pytest --cesdk-spec-impl yourpackage.module:YourImplementation``. Without
the option the suite checks cesdk, and cases that name a ``cesdk_xfail`` are strict
expected failures (known cesdk bugs).
"""

from __future__ import annotations

import importlib
from functools import cache

import pytest

from cesdk_spec_tests._cases import Case, load_cases
from cesdk_spec_tests._cesdk_impl import CesdkImplementation
from cesdk_spec_tests.implementation import Implementation
from cesdk_spec_tests.runner import run_case

__all__ = ["assert_conforms", "implementation_class", "spec_implementation"]

_DEFAULT = "cesdk_spec_tests:CesdkImplementation"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--cesdk-spec-impl``."""
    parser.getgroup("cesdk-spec", "CloudEvents conformance suite").addoption(
        "--cesdk-spec-impl",
        default=_DEFAULT,
        metavar="MODULE:CLASS",
        help=f"the Implementation subclass to check (default: {_DEFAULT})",
    )


def implementation_class(config: pytest.Config) -> type[Implementation]:
    """Import the class that ``--cesdk-spec-impl`` names.

    Raises:
        pytest.UsageError: the option does not name an ``Implementation`` subclass.
    """
    target = str(config.getoption("cesdk_spec_impl", _DEFAULT))
    module_name, _, attr = target.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise pytest.UsageError(f"--cesdk-spec-impl {target!r}: {exc}") from None
    if not (isinstance(found, type) and issubclass(found, Implementation)):
        raise pytest.UsageError(
            f"--cesdk-spec-impl {target!r} is not a cesdk_spec_tests.Implementation subclass"
        )
    return found


@cache
def _cases() -> tuple[Case, ...]:
    return tuple(load_cases())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``spec_case`` over every case; cesdk's known bugs are strict xfails."""
    if "spec_case" not in metafunc.fixturenames:
        return
    checks_cesdk = issubclass(implementation_class(metafunc.config), CesdkImplementation)
    params = []
    for case in _cases():
        marks = []
        if case.cesdk_xfail and checks_cesdk:
            marks.append(pytest.mark.xfail(strict=True, reason=case.cesdk_xfail))
        params.append(pytest.param(case, id=case.id, marks=marks))
    metafunc.parametrize("spec_case", params)


@pytest.fixture(scope="session")
def spec_implementation(pytestconfig: pytest.Config) -> Implementation:
    """The implementation under test, as chosen by ``--cesdk-spec-impl``."""
    return implementation_class(pytestconfig)()


def assert_conforms(implementation: Implementation, case: Case) -> None:
    """Run a case; fail the test with the spec's words, or skip an unsupported operation."""
    result = run_case(implementation, case)
    if result.status == "unsupported":
        pytest.skip(result.note)
    if result.status == "fail":
        pytest.fail(
            f"{case.id}: {result.note}\n  spec: {case.spec}\n  quote: {case.quote}",
            pytrace=False,
        )
