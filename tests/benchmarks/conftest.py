"""Benchmark figures: each benchmark records what it measured through the ``record_figure``
fixture; the run prints them in a "benchmark figures" section of pytest's summary (so they show
without ``-s``, and from pytest-xdist's workers too) and writes them to
``tests/output/benchmarks.json`` (``figures.py``, which also sets the benchmarks' sizes).

Figures are ratios against a bare baseline measured in the same run, never pass/fail timings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.benchmarks.figures import FIGURE


@pytest.fixture
def record_figure(request: pytest.FixtureRequest) -> Callable[..., None]:
    """``record_figure(group, name, line, **data)``: ``line`` is what the summary prints, ``data``
    the numbers that go to the JSON file. The figure travels with the test's report."""

    def record(group: str, name: str, line: str, **data: Any) -> None:
        request.node.user_properties.append((FIGURE, {"group": group, "name": name, "line": line, **data}))

    return record
