"""What the services' refusals share: the problems found, by the form field that can put each
right, so a page can list them all in one GOV.UK error summary and mark each field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Refusal(Exception):
    """A rule of the service refused the request; ``problems`` maps form fields to messages."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


@dataclass(frozen=True)
class Page(Generic[Item]):
    """One page of a list, newest first, with the total it was cut from."""

    items: list[Item]
    number: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def page_number(requested: int, total: int, size: int) -> int:
    """The requested page, brought within the pages there are."""
    return min(max(1, requested), max(1, math.ceil(total / size)))
