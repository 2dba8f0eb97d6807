"""The headless Chromium the report pages are driven in (one per test module)."""

from __future__ import annotations

import pytest

from tests.conftest import unavailable
from tests.reports.chromium import Chromium, chromium_path

VIEWPORT = 1366  # the width evaluators' laptops show a report at


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        unavailable("Chromium is not installed: apt-get install chromium (.ci/run installs it)")
    with Chromium(executable, width=VIEWPORT) as chromium:
        yield chromium
