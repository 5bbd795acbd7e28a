"""Setting the portal's one clock in tests (design rule 11): a dated test says which day it is
with time-machine, and computes what it expects from that day, so it passes on any real date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from portal.services.clock import LONDON


def london(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment on ``day`` as London's clocks show it (GMT or BST as the date has it)."""
    return dt.datetime.combine(day, dt.time(hour, minute), LONDON)


def clock_on(day: dt.date, hour: int = 10) -> Any:
    """An autouse fixture for a module of dated tests: the clock stands still at ``hour``
    o'clock in London on ``day`` through each test. Assign it to a module-level name."""

    @pytest.fixture(autouse=True)
    def clock_fixed_on_the_day(time_machine: Any) -> None:
        time_machine.move_to(london(day, hour), tick=False)

    return clock_fixed_on_the_day
