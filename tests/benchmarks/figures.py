"""Benchmark figures and sizes, as a plugin that ``tests/conftest.py`` registers in every run.

A benchmark records a figure with the ``record_figure`` fixture (``tests/benchmarks/conftest.py``),
which attaches it to the test's report (``user_properties``). Reports are what pytest-xdist sends
from its workers back to the process that prints the summary, so the figures reach the "benchmark
figures" section of pytest's summary (and ``tests/output/benchmarks.json``) whether the benchmarks
ran in that process or in a worker, and without ``-s``. This plugin lives outside the benchmarks'
conftest because the main process of a distributed run never loads that conftest: it collects
nothing itself.

Sizes: ``BENCHMARK_SIZES=full`` (``make bench``) runs each benchmark at the sizes its figures are
quoted for (100,000 referrals, 20,000 cases, 500-entry timelines and PDFs, hundreds of repetitions),
which takes minutes; otherwise (``make test``, CI) each runs at small sizes and few repetitions,
which still exercises every page, query and PDF the benchmark measures and prints its figures, in
seconds. The summary says which.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any, TypeVar

import pytest

from portal.services import clock

OUTPUT_FILE = Path(__file__).resolve().parent.parent / "output" / "benchmarks.json"
KIND_ORDER = {"in-process": 0, "gunicorn": 1}
# The name a figure goes under in a report's user_properties.
FIGURE = "benchmark figure"
FULL_SIZES = os.environ.get("BENCHMARK_SIZES", "").strip().lower() == "full"
Size = TypeVar("Size")


def sized(full: Size, quick: Size) -> Size:
    """``full`` under ``BENCHMARK_SIZES=full``, else ``quick``: a benchmark's sizes, say
    ``SIZES = sized(full=(100, 100_000), quick=(100, 1_000))``."""
    return full if FULL_SIZES else quick


def _ordered(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In-process figures first, whatever order the files ran in; each group together, in the
    order groups first appeared (workers finish tests in any order); within a group, as recorded."""
    first_seen: dict[str, int] = {}
    for index, figure in enumerate(figures):
        first_seen.setdefault(figure["group"], index)
    return sorted(
        figures,
        key=lambda figure: (KIND_ORDER.get(figure.get("kind", ""), len(KIND_ORDER)), first_seen[figure["group"]]),
    )


class BenchmarkFigures:
    """Gathers the figures from every test report; prints and writes them at the end."""

    def __init__(self) -> None:
        self.figures: list[dict[str, Any]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            self.figures.extend(value for name, value in report.user_properties if name == FIGURE)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # A pytest-xdist worker's figures also reach the main process, which writes the file.
        if not self.figures or hasattr(session.config, "workerinput"):
            return
        OUTPUT_FILE.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "generated_at": clock.now().isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "sizes": "full" if FULL_SIZES else "quick",
            "figures": [{key: value for key, value in figure.items() if key != "line"} for figure in self._all()],
        }
        OUTPUT_FILE.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.figures:
            return
        terminalreporter.write_sep("=", f"benchmark figures ({'full' if FULL_SIZES else 'quick'} sizes)")
        if not FULL_SIZES:
            terminalreporter.write_line("(quick sizes; `make bench` measures at the full sizes, in one process)")
        group = None
        for figure in self._all():
            if figure["group"] != group:
                group = figure["group"]
                terminalreporter.write_line(f"{group}:")
            terminalreporter.write_line(f"  {figure['line']}")
        try:
            shown = OUTPUT_FILE.relative_to(Path.cwd())
        except ValueError:
            shown = OUTPUT_FILE
        terminalreporter.write_line(f"(also written to {shown})")

    def _all(self) -> list[dict[str, Any]]:
        return _ordered(self.figures)
