"""Project-wide pytest configuration: markers, and a closing section with what the tests measured.

Tests that measure something (conformance pass counts, agreement rates, timings) call the
`record_measurement` fixture; the lines are printed where they happen (visible with -s) and again,
all together, in a "measurements" section at the end of every run, so they are seen without -s.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

_MEASUREMENTS = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: takes a minute or more (whole corpus, differential testing); -m 'not slow' skips it"
    )
    config.stash[_MEASUREMENTS] = []


@pytest.fixture
def record_measurement(request: pytest.FixtureRequest) -> Callable[[str], None]:
    lines = request.config.stash[_MEASUREMENTS]

    def record(line: str) -> None:
        print(line)
        lines.append(line)

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    lines = config.stash.get(_MEASUREMENTS, [])
    if lines:
        terminalreporter.section("measurements")
        for line in lines:
            terminalreporter.write_line(line)
