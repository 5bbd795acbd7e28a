"""Statutory deadlines of information requests (design 6.5, 6.6), each with its working.

Each kind of request states its rules once, in one class below: the deadline on receipt
(``initial``), the clock events it knows (``EVENTS``, which also name the events the database
accepts), and the working from receipt and those events to the day due (``working``), in steps a
requester or an auditor can follow. The request's ``due_on`` is stored, and worked out again here
after every event.

Subject access (UK GDPR Art. 12(3) and 12A, DPA 2018 s.54, the ICO's guidance): one calendar month
from the day the clock starts (receipt, or the day what was needed to verify identity arrived) to
the same date next month, or that month's last day when it has no such date; extendable once by up
to two further months; a pause for clarification leaves out every day from the day the service
asked to the day the answer came, both included; a deadline on a weekend or a public holiday of the
service's own nation (``SERVICE_NATION``) moves to the next working day.

Freedom of Information (FOIA s.10): the twentieth working day following the date of receipt, day
one being the first working day after it; a working day is any day but a Saturday, a Sunday,
Christmas Day, Good Friday or a bank holiday in any part of the United Kingdom (s.10(6)). The day a
clarification asked for under s.1(3) arrives becomes the date of receipt (s.10(6)(b)); the working
days from a fees notice to the day the fee arrives are not counted (s.10(2)); considering the public
interest may take a reasonable further time (s.10(3)): by default up to 20 more working days, as
the ICO's guidance puts it.

Complaints about how personal data was handled (DPA 2018 s.164A): acknowledged within 30 days,
counted from the day after receipt and moved off weekends and public holidays of the service's
nation; then answered without undue delay: one not answered 30 days after its acknowledgement is
stalled.

Bank holidays come from the ``holidays`` package's own data: nothing is fetched.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar, Protocol

import holidays

from portal.services.clock import add_months, long_date

# ``SERVICE_NATION``: whose public holidays move a subject access or complaint deadline. England
# and Wales share their bank holidays; the code is the ``holidays`` package's subdivision.
NATIONS: dict[str, tuple[str, str]] = {
    "england": ("ENG", "England and Wales"),
    "wales": ("WLS", "Wales"),
    "scotland": ("SCT", "Scotland"),
    "northern_ireland": ("NIR", "Northern Ireland"),
}
DEFAULT_NATION = "england"
UK_PARTS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
ONE_DAY = dt.timedelta(days=1)


class DeadlineError(ValueError):
    """The deadline cannot be worked out as asked; the message says why."""


def long_day(day: dt.date) -> str:
    """With its weekday, since the weekday is what moves a deadline: Friday 2 January 2026."""
    return f"{day:%A} {long_date(day)}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """3 days, 1 day; 2 entries, 1 entry (``many`` for a plural not made with s)."""
    return f"{count} {word if count == 1 else many or word + 's'}"


# The calendars ---------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holidays(year: int, parts: tuple[str, ...]) -> dict[dt.date, str]:
    """The public holidays of ``year`` kept in any of ``parts``; where several parts are asked
    about, each holiday is named with the parts that keep it."""
    kept: dict[dt.date, dict[str, list[str]]] = {}
    for code in parts:
        for day, name in holidays.country_holidays("GB", subdiv=code, years=year).items():
            kept.setdefault(day, {}).setdefault(name, []).append(UK_PARTS[code])
    if len(parts) == 1:
        return {day: "; ".join(names) for day, names in kept.items()}
    return {
        day: "; ".join(f"{name} ({', '.join(where)})" for name, where in names.items()) for day, names in kept.items()
    }


@dataclass(frozen=True)
class Calendar:
    """Which days are working days: every day but Saturdays, Sundays and the public holidays of
    ``parts`` (subdivision codes), described as ``where``."""

    parts: tuple[str, ...]
    where: str

    def holiday(self, day: dt.date) -> str | None:
        return _holidays(day.year, self.parts).get(day)

    def why_not_working(self, day: dt.date) -> str | None:
        """Why ``day`` is not a working day, or None when it is one."""
        if day.weekday() >= 5:
            return f"a {day:%A}"
        name = self.holiday(day)
        return f"{name}, a public holiday in {self.where}" if name else None

    def is_working_day(self, day: dt.date) -> bool:
        return self.why_not_working(day) is None

    def working_days_after(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        return sum(self.is_working_day(start + ONE_DAY * offset) for offset in range(1, (end - start).days + 1))


UK = Calendar(tuple(UK_PARTS), "any part of the UK")


def nation_calendar(nation: str) -> Calendar:
    if nation not in NATIONS:
        raise DeadlineError(f"Unknown nation {nation!r}: expected one of {', '.join(NATIONS)}")
    code, where = NATIONS[nation]
    return Calendar((code,), where)


# What the rules read from a request ------------------------------------------------------------


class EventFacts(Protocol):
    @property
    def event(self) -> str: ...

    @property
    def on(self) -> dt.date: ...


class RequestFacts(Protocol):
    """What a deadline depends on: a stored request has all of it, and ``Facts`` builds it by hand."""

    @property
    def received_on(self) -> dt.date: ...

    @property
    def clock_events(self) -> Sequence[EventFacts]: ...

    @property
    def extension_months(self) -> int: ...

    @property
    def extension_working_days(self) -> int: ...

    @property
    def acknowledged_on(self) -> dt.date | None: ...


@dataclass(frozen=True)
class Event:
    event: str
    on: dt.date


@dataclass(frozen=True)
class Facts:
    received_on: dt.date
    clock_events: tuple[Event, ...] = ()
    extension_months: int = 0
    extension_working_days: int = 0
    acknowledged_on: dt.date | None = None


@dataclass
class Working:
    """How a deadline was reached, in words a requester or an auditor can follow."""

    due_on: dt.date
    steps: list[str] = field(default_factory=list)
    skipped_holidays: list[tuple[dt.date, str]] = field(default_factory=list)


@dataclass(frozen=True)
class EventWords:
    """How an event is put: in the clock's history (``label``), as an option on the form
    (``choice``), what its text box asks for (``asks_for``, as in "Enter …"), and, for an event
    that stops the clock, what sets it going again (``until``)."""

    label: str
    choice: str
    asks_for: str
    until: str = ""


def _moved_to_working_day(calendar: Calendar, due: dt.date, working: Working) -> dt.date:
    """A deadline that falls on a day that is not a working day moves to the next working day."""
    while (why := calendar.why_not_working(due)) is not None:
        working.steps.append(f"{long_day(due)} is {why}, so the deadline moves to the next day.")
        if due.weekday() < 5:
            working.skipped_holidays.append((due, why))
        due += ONE_DAY
    return due


class RequestRules(ABC):
    """One kind of request's deadline rules."""

    EVENTS: ClassVar[dict[str, EventWords]] = {}
    # An event that stops the clock, and the one that sets it going again.
    PAUSES: ClassVar[dict[str, str]] = {}

    def initial(self, received_on: dt.date) -> Working:
        """The deadline on receipt, before anything has happened to the clock."""
        return self.working(Facts(received_on))

    @abstractmethod
    def working(self, request: RequestFacts) -> Working:
        """The deadline from receipt and everything recorded since, step by step."""

    def paused_by(self, events: Sequence[EventFacts]) -> str | None:
        """The event that stopped the clock, while it stands stopped."""
        last = events[-1].event if events else None
        return last if last in self.PAUSES else None

    def next_events(self, events: Sequence[EventFacts]) -> tuple[str, ...]:
        """What may be recorded next: the end of the pause the clock stands in, or else anything
        that is not the end of a pause."""
        paused = self.paused_by(events)
        if paused is not None:
            return (self.PAUSES[paused],)
        return tuple(event for event in self.EVENTS if event not in self.PAUSES.values())


# Subject access --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pause:
    asked_on: dt.date
    answered_on: dt.date | None  # None while the answer is awaited

    @property
    def days(self) -> int:
        """Every day from the day the service asked to the day the answer came, both included
        (DPA 2018 s.54(3C), UK GDPR Art. 12A)."""
        assert self.answered_on is not None
        return (self.answered_on - self.asked_on).days + 1


class SubjectAccess(RequestRules):
    EVENTS: ClassVar[dict[str, EventWords]] = {
        "start": EventWords(
            "Clock started",
            "What we needed to verify identity arrived: start the clock again from that day",
            "what arrived",
        ),
        "pause": EventWords(
            "Clock paused",
            "We asked the requester to clarify their request: pause the clock",
            "the clarification asked for",
            until="the clarification arrives",
        ),
        "resume": EventWords("Clock resumed", "The clarification arrived: resume the clock", "what arrived"),
    }
    PAUSES: ClassVar[dict[str, str]] = {"pause": "resume"}
    MAX_EXTENSION_MONTHS = 2

    def __init__(self, nation: str = DEFAULT_NATION) -> None:
        self.calendar = nation_calendar(nation)

    @staticmethod
    def clock(request: RequestFacts) -> tuple[dt.date, bool, list[Pause]]:
        """The day the clock last started, whether it started again after receipt, and the pauses
        since it last started: identity evidence arriving starts the month afresh, so earlier
        pauses no longer count."""
        started_on, restarted, pauses = request.received_on, False, []
        for event in request.clock_events:
            if event.event == "start":
                restarted = restarted or event.on != request.received_on
                started_on, pauses = event.on, []
            elif event.event == "pause":
                pauses.append(Pause(event.on, None))
            elif event.event == "resume" and pauses and pauses[-1].answered_on is None:
                pauses[-1] = Pause(pauses[-1].asked_on, event.on)
        return started_on, restarted, pauses

    def working(self, request: RequestFacts) -> Working:
        months = request.extension_months
        if not 0 <= months <= self.MAX_EXTENSION_MONTHS:
            raise DeadlineError(f"A subject access request can be extended by up to {self.MAX_EXTENSION_MONTHS} months")
        started_on, restarted, pauses = self.clock(request)
        working = Working(started_on)
        working.steps.append(f"The clock started on {long_day(request.received_on)}.")
        if restarted:
            working.steps.append(
                f"It started again on {long_day(started_on)}, when what was needed to verify identity arrived: "
                "the month runs from that day, and pauses before it no longer count."
            )
        month_later = add_months(started_on, 1)
        if month_later.day != started_on.day:
            working.steps.append(
                f"{month_later:%B %Y} has no day {started_on.day}, so one calendar month ends on its last day, "
                f"{long_day(month_later)}."
            )
        else:
            working.steps.append(f"One calendar month later is {long_day(month_later)}.")
        due = month_later
        if months:
            due = add_months(started_on, 1 + months)
            working.steps.append(f"Extended by {plural(months, 'month')}, to {long_day(due)}.")
        paused_days = 0
        for pause in pauses:
            if pause.answered_on is None:
                working.steps.append(
                    f"Paused since {long_day(pause.asked_on)} while we wait for a clarification: every day "
                    "until the answer comes, that day included, will be added."
                )
                continue
            paused_days += pause.days
            working.steps.append(
                f"Paused from {long_day(pause.asked_on)} to {long_day(pause.answered_on)} while we waited "
                f"for a clarification: {plural(pause.days, 'day')}, both days included, do not count."
            )
        if paused_days:
            due += ONE_DAY * paused_days
            working.steps.append(
                f"The clock stood paused for {plural(paused_days, 'day')} in all, so the deadline moves on to "
                f"{long_day(due)}."
            )
        due = _moved_to_working_day(self.calendar, due, working)
        working.due_on = due
        working.steps.append(f"The response is due by {long_day(due)}.")
        return working


# Freedom of Information -------------------------------------------------------------------------


@dataclass
class _Count:
    """Working days counted on from a day, and the days passed over on the way."""

    end: dt.date
    weekend_days: int = 0
    holidays: list[tuple[dt.date, str]] = field(default_factory=list)
    first: dt.date | None = None  # the first working day counted: "day one"


def _count_working_days(
    calendar: Calendar, after: dt.date, count: int, disregarded: Callable[[dt.date], bool]
) -> _Count:
    """The ``count``-th working day after ``after``, passing over the working days that
    ``disregarded`` says do not count."""
    found = _Count(after)
    counted = 0
    while counted < count:
        found.end += ONE_DAY
        if found.end.weekday() >= 5:
            found.weekend_days += 1
        elif (name := calendar.holiday(found.end)) is not None:
            found.holidays.append((found.end, name))
        elif not disregarded(found.end):
            counted += 1
            found.first = found.first or found.end
    return found


class FreedomOfInformation(RequestRules):
    EVENTS: ClassVar[dict[str, EventWords]] = {
        "clarification_asked": EventWords(
            "Clarification asked for: clock stopped",
            "We asked the requester to clarify their request (section 1(3)): stop the clock",
            "the clarification asked for",
            until="the clarification arrives",
        ),
        "clarification_received": EventWords(
            "Clarification received: the 20 working days start again",
            "The clarification arrived: the 20 working days start again from that day",
            "what arrived",
        ),
        "fees_notice": EventWords(
            "Fees notice sent: clock stopped",
            "We sent a fees notice (section 9): stop the clock until the fee is paid",
            "the fee asked for, and why",
            until="the fee is paid",
        ),
        "fee_paid": EventWords("Fee paid: clock running again", "The fee was paid: restart the clock", "what was paid"),
    }
    PAUSES: ClassVar[dict[str, str]] = {"clarification_asked": "clarification_received", "fees_notice": "fee_paid"}
    WORKING_DAYS = 20
    MAX_EXTENSION_WORKING_DAYS = 20
    calendar = UK  # FOIA s.10(6): a bank holiday in any part of the UK is not a working day

    def working(self, request: RequestFacts) -> Working:
        extension = request.extension_working_days
        if not 0 <= extension <= self.MAX_EXTENSION_WORKING_DAYS:
            raise DeadlineError(
                f"The public interest extension is up to {self.MAX_EXTENSION_WORKING_DAYS} working days"
            )
        receipt = request.received_on
        steps = [f"Received on {long_day(receipt)}."]
        fees: list[Pause] = []
        for event in request.clock_events:
            if event.event == "clarification_asked":
                steps.append(
                    f"On {long_day(event.on)} we asked the requester to clarify the request (FOIA s.1(3)): "
                    "the 20 working days start again when the clarification arrives."
                )
            elif event.event == "clarification_received":
                receipt, fees = event.on, []
                steps.append(
                    f"The clarification arrived on {long_day(receipt)}, which becomes the date of receipt "
                    "(FOIA s.10(6))."
                )
            elif event.event == "fees_notice":
                fees.append(Pause(event.on, None))
            elif event.event == "fee_paid" and fees and fees[-1].answered_on is None:
                fees[-1] = Pause(fees[-1].asked_on, event.on)

        def unpaid(day: dt.date) -> bool:
            # s.10(2): the working days from the notice to the day the fee arrives, both included.
            return any(fee.answered_on and fee.asked_on <= day <= fee.answered_on for fee in fees)

        count = _count_working_days(self.calendar, receipt, self.WORKING_DAYS, unpaid)
        assert count.first is not None  # at least one working day is always counted
        steps.append(
            f"Day one is the first working day after that, {long_day(count.first)}; "
            f"{self.WORKING_DAYS} working days were counted."
        )
        steps.append(f"{count.weekend_days} Saturdays and Sundays were not counted.")
        steps += [f"{long_day(holiday)} was not counted: {name}." for holiday, name in count.holidays]
        for fee in fees:
            if fee.answered_on is None:
                steps.append(
                    f"A fees notice was sent on {long_day(fee.asked_on)}: the working days from then until the "
                    "fee arrives will not be counted (FOIA s.10(2)). Unpaid after three months, the request "
                    "need not be answered (s.9(2))."
                )
            else:
                steps.append(
                    f"A fees notice was sent on {long_day(fee.asked_on)} and the fee arrived on "
                    f"{long_day(fee.answered_on)}: the working days from the notice to the payment, both "
                    "included, were not counted (FOIA s.10(2))."
                )
        working = Working(count.end, steps, list(count.holidays))
        if extension:
            more = _count_working_days(self.calendar, count.end, extension, unpaid)
            steps.append(
                f"The 20th working day is {long_day(count.end)}. The time to consider the public interest was "
                f"extended (FOIA s.10(3)) by {plural(extension, 'working day')}, counted on from that day."
            )
            steps += [f"{long_day(holiday)} was not counted: {name}." for holiday, name in more.holidays]
            working.due_on = more.end
            working.skipped_holidays += more.holidays
        steps.append(f"The reply is due by {long_day(working.due_on)}.")
        return working


# Complaints -----------------------------------------------------------------------------------


class Complaint(RequestRules):
    ACKNOWLEDGEMENT_DAYS = 30
    # Answered "without undue delay" (s.164A(4)): the service's own measure of when a complaint
    # acknowledged but not answered has stalled.
    ANSWER_DAYS = 30

    def __init__(self, nation: str = DEFAULT_NATION) -> None:
        self.calendar = nation_calendar(nation)

    @classmethod
    def answer_expected_by(cls, acknowledged_on: dt.date) -> dt.date:
        """Not answered by the end of this day, an acknowledged complaint has stalled."""
        return acknowledged_on + ONE_DAY * cls.ANSWER_DAYS

    def working(self, request: RequestFacts) -> Working:
        received_on = request.received_on
        day_thirty = received_on + ONE_DAY * self.ACKNOWLEDGEMENT_DAYS
        working = Working(day_thirty, [f"Received on {long_day(received_on)}."])
        working.steps.append(
            f"A complaint is acknowledged within {self.ACKNOWLEDGEMENT_DAYS} days, counted from the day after it "
            f"arrived (DPA 2018 s.164A): day {self.ACKNOWLEDGEMENT_DAYS} is {long_day(day_thirty)}."
        )
        working.due_on = _moved_to_working_day(self.calendar, day_thirty, working)
        working.steps.append(f"The acknowledgement is due by {long_day(working.due_on)}.")
        if request.acknowledged_on is not None:
            working.steps.append(
                f"Acknowledged on {long_day(request.acknowledged_on)}. The answer follows without undue delay: "
                f"not sent by {long_day(self.answer_expected_by(request.acknowledged_on))}, the complaint "
                "shows as stalled."
            )
        return working


def rules(kind: str, nation: str = DEFAULT_NATION) -> RequestRules:
    """The rules of a kind of request, with the service's nation's holidays where they apply."""
    if kind == "sar":
        return SubjectAccess(nation)
    if kind == "foi":
        return FreedomOfInformation()
    if kind == "complaint":
        return Complaint(nation)
    raise DeadlineError(f"Unknown kind of request {kind!r}")


# Every clock event any kind knows: the database accepts these and no others.
CLOCK_EVENTS = (*SubjectAccess.EVENTS, *FreedomOfInformation.EVENTS)
