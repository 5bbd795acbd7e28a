"""Benchmark figures: each benchmark records what it measured through the ``record_figure``
fixture; the run prints them in a "benchmark figures" section of pytest's summary (so they show
without ``-s``) and writes them to ``tests/output/benchmarks.json``.

Figures are ratios against a bare baseline measured in the same run, never pass/fail timings.

Sizes: ``BENCHMARK_SIZES=full`` (``make bench``) runs each benchmark at the sizes its figures are
quoted for (100,000 referrals, 20,000 cases, 500-entry timelines and PDFs), which takes minutes;
otherwise (``make test``, CI) each runs at a small size, which still exercises every page, query
and PDF the benchmark measures and prints its figures, in seconds. The summary says which.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from portal.services import clock

OUTPUT_FILE = Path(__file__).resolve().parent.parent / "output" / "benchmarks.json"

KIND_ORDER = {"in-process": 0, "gunicorn": 1}

FIGURES = pytest.StashKey[list[dict[str, Any]]]()
FULL_SIZES = os.environ.get("BENCHMARK_SIZES", "").strip().lower() == "full"
Size = TypeVar("Size")


def sized(full: Size, quick: Size) -> Size:
    """``full`` under ``BENCHMARK_SIZES=full``, else ``quick``: a benchmark's sizes, say
    ``SIZES = sized(full=(100, 100_000), quick=(100, 2_000))``."""
    return full if FULL_SIZES else quick


def _figures(config: pytest.Config) -> list[dict[str, Any]]:
    return config.stash.setdefault(FIGURES, [])


def _ordered(figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In-process figures first, whatever order the files ran in; within a kind, as recorded."""
    return sorted(figures, key=lambda figure: KIND_ORDER.get(figure.get("kind", ""), len(KIND_ORDER)))


@pytest.fixture(scope="session")
def record_figure(pytestconfig: pytest.Config) -> Callable[..., None]:
    """``record_figure(group, name, line, **data)``: ``line`` is what the summary prints, ``data``
    the numbers that go to the JSON file."""
    figures = _figures(pytestconfig)

    def record(group: str, name: str, line: str, **data: Any) -> None:
        figures.append({"group": group, "name": name, "line": line, **data})

    return record


def pytest_sessionfinish(session: pytest.Session) -> None:
    figures = _ordered(_figures(session.config))
    if not figures:
        return
    OUTPUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "generated_at": clock.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "sizes": "full" if FULL_SIZES else "quick",
        "figures": [{key: value for key, value in figure.items() if key != "line"} for figure in figures],
    }
    OUTPUT_FILE.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    figures = _ordered(_figures(config))
    if not figures:
        return
    terminalreporter.write_sep("=", f"benchmark figures ({'full' if FULL_SIZES else 'quick'} sizes)")
    if not FULL_SIZES:
        terminalreporter.write_line("(quick sizes; `make bench` measures at the full sizes)")
    group = None
    for figure in figures:
        if figure["group"] != group:
            group = figure["group"]
            terminalreporter.write_line(f"{group}:")
        terminalreporter.write_line(f"  {figure['line']}")
    try:
        shown = OUTPUT_FILE.relative_to(Path.cwd())
    except ValueError:
        shown = OUTPUT_FILE
    terminalreporter.write_line(f"(also written to {shown})")
