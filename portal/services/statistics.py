"""The service's anonymised statistics for an academic year (design section 9).

Each measure is declared once below: its code, title, the one or two dimensions it is broken down
by (each category a stable code with its label) and the aggregate SQL that counts it. Counting is
done by the database, a few GROUP BY queries per year, never by loading rows into Python, so a
year of 100,000 referrals costs what a year of 100 does, give or take the database's own work.

A year's raw counts come from the records until the year is frozen (``freeze``: once, after its
31 August, never undone); from then on they come from the frozen rows, so the year reads the same
after the records are destroyed (design section 8). Every output (the reports page, the CSV
downloads, the Annual Report PDF and ``report annual``) is drawn from ``publish``, which passes
every count through the one small-number rule (``portal.services.suppression``): no output holds
a raw count, an id, a reference, a name, a school, free text or a date finer than the year.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup
from sqlalchemy import Row, and_, case, func, insert, literal, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from portal.extensions import db
from portal.models.cases import CONTACT_METHODS, Case, ContactEntry
from portal.models.consent import DISCLOSURE_BASES, REVIEW_OUTCOMES, ConsentReview, Disclosure
from portal.models.referrals import AGE_BANDS, CLOSING_STATUSES, Referral
from portal.models.requests import REQUEST_KINDS, InformationRequest
from portal.models.staff import StaffUser
from portal.models.statistics import NO_SECOND_CATEGORY, FrozenCount, FrozenYear
from portal.services import audit, charts, feedback, pdf, suppression
from portal.services.academic_year import AcademicYear, NotAnAcademicYear
from portal.services.audit import Actor
from portal.services.case_codes import INTERVENTION_LEVELS, TOPICS
from portal.services.clock import add_months, london_day, london_midnight, long_date
from portal.services.contact import METHOD_LABELS
from portal.services.disclosures import BASIS_LABELS
from portal.services.problems import Refusal
from portal.services.referrals import COMPLETED_BY_LABELS, ROUTE_LABELS
from portal.services.requests import KIND_LABELS
from portal.services.roles import roles_with

NOT_RECORDED = "not_recorded"

# A measure's raw counts: (category, second category) to the number counted. A one-dimensional
# measure's second category is always NO_SECOND_CATEGORY.
Counts = dict[tuple[str, str], int]


@dataclass(frozen=True)
class Dimension:
    heading: str
    categories: dict[str, str]  # code to label, in the order shown


@dataclass(frozen=True)
class Period:
    """What a measure counts over: the year, and the day its "at 31 August" figures stand at (the
    31 August itself, or today while the year is still running)."""

    year: AcademicYear
    as_at: dt.date
    # What several measures count from the same rows, asked of the database once per counting.
    shared: dict[str, list[Row]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def starts(self) -> dt.datetime:
        """London's midnight at the start of 1 September, in UTC, as moments are stored."""
        return london_midnight(self.year.first_day)

    @property
    def ends(self) -> dt.datetime:
        """London's midnight at the end of 31 August, in UTC."""
        return london_midnight(self.year.last_day + dt.timedelta(days=1))


@dataclass(frozen=True)
class Measure:
    code: str
    section: str
    title: str
    # What is counted, how, and what the portal cannot know: shown under the table in every output.
    description: str
    rows: Dimension
    count: Callable[[Period], Iterable[Row | tuple]]  # (category[, second category], count) rows
    columns: Dimension | None = None
    # A total row (down each column) only where the rows are categories no case is in twice, and a
    # total column (across each row) only where the columns are; the same decides where a row or
    # column with every case in one category is warned about.
    total_row: bool = True
    total_column: bool = False
    chart: bool = False

    def tally(self, period: Period) -> Counts:
        """The raw counts, with a cell (perhaps 0) for every category. A value outside the declared
        categories (the database's CHECK constraints allow none) counts as not recorded where the
        measure has that category."""
        second_codes = list(self.columns.categories) if self.columns else [NO_SECOND_CATEGORY]
        counts: Counts = {(row, column): 0 for row in self.rows.categories for column in second_codes}
        for result in self.count(period):
            *categories, number = tuple(result)
            row = categories[0] if categories[0] in self.rows.categories else NOT_RECORDED
            column = categories[1] if self.columns else NO_SECOND_CATEGORY
            if (row, column) in counts:
                counts[row, column] += int(number or 0)
        return counts


def _on_days(column: ColumnElement, period: Period) -> ColumnElement[bool]:
    return column.between(period.year.first_day, period.year.last_day)


def _received(period: Period) -> ColumnElement[bool]:
    return and_(Referral.submitted_at >= period.starts, Referral.submitted_at < period.ends)


def _case_active(period: Period) -> ColumnElement[bool]:
    """The case was open at some time in the year: opened before it ended, not closed before it began."""
    return and_(Case.opened_at < period.ends, or_(Case.closed_on.is_(None), Case.closed_on >= period.year.first_day))


def _with_not_recorded(labels: dict[str, str], text: str = "Not recorded") -> dict[str, str]:
    return {**labels, NOT_RECORDED: text}


# Reach -------------------------------------------------------------------------------------------


def _count_supported(period: Period) -> list[Row]:
    # The referrals with something in the year, gathered from the few rows that had (contacts in
    # the year, cases open in it) rather than by asking of every referral ever received.
    supported_ids = union(
        select(ContactEntry.referral_id).where(
            ContactEntry.referral_id.is_not(None), _on_days(ContactEntry.occurred_on, period)
        ),
        select(Case.referral_id)
        .join(ContactEntry, ContactEntry.case_id == Case.id)
        .where(_on_days(ContactEntry.occurred_on, period)),
        select(Case.referral_id).where(_case_active(period)),
    )
    how = case((Referral.completed_by == "young_person", "young_person"), else_="family")
    when = case((Referral.submitted_at >= period.starts, "new"), else_="carried_over")
    return db.session.execute(
        select(how, when, func.count()).where(Referral.id.in_(supported_ids)).group_by(how, when)
    ).all()


SUPPORTED = Measure(
    code="supported",
    section="Who we supported",
    title="Families and young people supported",
    description=(
        "A family counts as supported in the year when their referral had contact logged in the year, "
        "or a case opened from it was open at some time in the year. Each referral counts once: the "
        "portal does not link a family's separate referrals, so a family referred twice counts twice. "
        "Young people supported directly are those who referred themselves (the form completed by the "
        "young person); the portal does not record which later contacts were with the young person "
        "rather than their parent or carer, so support given to a young person through a family's "
        "referral counts with the families. New: referred in the year; carried over: referred earlier."
    ),
    rows=Dimension(
        "Supported",
        {"family": "Families (referred by a parent, carer or professional)", "young_person": "Young people directly"},
    ),
    columns=Dimension("When referred", {"new": "New in the year", "carried_over": "Carried over"}),
    count=_count_supported,
    total_column=True,
)


# Referrals ---------------------------------------------------------------------------------------


def _received_breakdown(period: Period) -> list[Row]:
    """The year's referrals counted by route, who completed the form, age band and outcome at 31
    August together: one pass over the year's referrals for the four measures that split them.
    Outcomes are dated by what the portal records, not the status alone (acceptance by the case's
    opening, the other outcomes by the referral's closing date), so a later change leaves the year
    as it stood."""
    if "received" not in period.shared:
        outcome = case(
            (and_(Case.id.is_not(None), Case.opened_at < period.ends), "accepted"),
            (
                and_(Referral.status.in_(CLOSING_STATUSES), Referral.closed_on <= period.year.last_day),
                Referral.status,
            ),
            else_="new",
        )
        age_band = func.coalesce(Referral.child_age_band, NOT_RECORDED)
        period.shared["received"] = db.session.execute(
            select(Referral.route, Referral.completed_by, age_band, outcome, func.count())
            .select_from(Referral)
            .outerjoin(Case, Case.referral_id == Referral.id)
            .where(_received(period))
            .group_by(Referral.route, Referral.completed_by, age_band, outcome)
        ).all()
    return period.shared["received"]


def _count_received_by(position: int) -> Callable[[Period], list[tuple[str, int]]]:
    """Counts of the year's referrals by one of the breakdown's columns (0 route, 1 who completed
    the form, 2 age band, 3 outcome at 31 August)."""

    def count(period: Period) -> list[tuple[str, int]]:
        return [(row[position], row[-1]) for row in _received_breakdown(period)]

    return count


OUTCOME_LABELS = {
    "accepted": "Accepted",
    "declined": "Declined",
    "withdrawn": "Withdrawn by the family",
    "lapsed": "Lapsed (no contact possible)",
    "new": "Still new at 31 August",
}

REFERRALS_BY_ROUTE = Measure(
    code="referrals_by_route",
    section="Referrals",
    title="Referrals received, by route",
    description="Referrals received from 1 September to 31 August, by the form they came through.",
    rows=Dimension("Route", ROUTE_LABELS),
    count=_count_received_by(0),
    chart=True,
)
REFERRALS_BY_COMPLETER = Measure(
    code="referrals_by_completer",
    section="Referrals",
    title="Referrals received, by who completed the form",
    description="Referrals received in the year, by who filled in the referral form.",
    rows=Dimension("Completed by", COMPLETED_BY_LABELS),
    count=_count_received_by(1),
    chart=True,
)
REFERRALS_BY_OUTCOME = Measure(
    code="referrals_by_outcome",
    section="Referrals",
    title="Referrals received, by outcome at 31 August",
    description=(
        "Referrals received in the year, by where they stood at 31 August: accepted if a case was opened "
        "from them by then (whatever happened to the case later, a family withdrawing included), declined, "
        "withdrawn or lapsed if that happened by 31 August, and otherwise still new. While the year is "
        "running, where they stand today."
    ),
    rows=Dimension("Outcome", OUTCOME_LABELS),
    count=_count_received_by(3),
    chart=True,
)
AGE_BAND_LABELS = {
    "0-4": "0 to 4",
    "5-10": "5 to 10",
    "11-15": "11 to 15",
    "16-19": "16 to 19",
    "20-25": "20 to 25",
    "over-25": "Over 25",
}
assert set(AGE_BAND_LABELS) == set(AGE_BANDS)
AGE_BANDS_AT_REFERRAL = Measure(
    code="age_bands",
    section="Referrals",
    title="Referrals received, by the age of the child or young person",
    description=(
        "Referrals received in the year, by the age of the child or young person on the day of the "
        "referral, in years. Not known: no date of birth was given."
    ),
    rows=Dimension("Age", _with_not_recorded(AGE_BAND_LABELS, "Not known")),
    count=_count_received_by(2),
    chart=True,
)


# Cases -------------------------------------------------------------------------------------------


def _count_cases_by_level(period: Period) -> list[tuple[str, str, int]]:
    level = func.coalesce(Case.intervention_level, NOT_RECORDED)
    opened = db.session.execute(
        select(level, func.count()).where(Case.opened_at >= period.starts, Case.opened_at < period.ends).group_by(level)
    ).all()
    closed = db.session.execute(
        select(level, func.count()).where(_on_days(Case.closed_on, period)).group_by(level)
    ).all()
    return [(code, "opened", number) for code, number in opened] + [(code, "closed", number) for code, number in closed]


def _count_cases_at_year_end(period: Period) -> list[Row]:
    standing = case(
        (Case.closed_on <= period.year.last_day, "closed"),
        (Case.status == "inactive", "inactive"),
        else_="open",
    )
    return db.session.execute(select(standing, func.count()).where(_case_active(period)).group_by(standing)).all()


def _count_cases_by_topic(period: Period) -> list[Row]:
    topic = func.coalesce(Case.topic, NOT_RECORDED)
    return db.session.execute(select(topic, func.count()).where(_case_active(period)).group_by(topic)).all()


CASES_BY_LEVEL = Measure(
    code="cases_by_level",
    section="Cases",
    title="Cases opened and closed, by intervention level",
    description=(
        "Cases opened in the year and cases closed in the year, by the IASS Network's intervention "
        "levels. A case opened in one year and closed in the next counts as opened in the first and "
        "closed in the second. The portal keeps a case's current level only, so a case counts at the "
        "level it has now."
    ),
    rows=Dimension("Intervention level", _with_not_recorded(INTERVENTION_LEVELS)),
    columns=Dimension("", {"opened": "Opened", "closed": "Closed"}),
    count=_count_cases_by_level,
)
CASES_AT_YEAR_END = Measure(
    code="cases_at_year_end",
    section="Cases",
    title="Cases open, inactive and closed at 31 August",
    description=(
        "Cases open at some time in the year, by where they stood at 31 August. Closed: closed on or "
        "before 31 August. The portal keeps a case's current status only, not the day it became "
        "inactive, so a case not closed by 31 August counts as inactive if it is inactive now and "
        "otherwise as open (a case closed since 31 August counts as open). While the year is running, "
        "where they stand today."
    ),
    rows=Dimension("At 31 August", {"open": "Open", "inactive": "Inactive", "closed": "Closed"}),
    count=_count_cases_at_year_end,
    chart=True,
)
CASES_BY_TOPIC = Measure(
    code="cases_by_topic",
    section="Cases",
    title="Cases by topic",
    description="Cases open at some time in the year, by the topic they are filed under now.",
    rows=Dimension("Topic", _with_not_recorded(TOPICS)),
    count=_count_cases_by_topic,
    chart=True,
)


def _count_contacts(period: Period) -> list[Row]:
    return db.session.execute(
        select(ContactEntry.method, func.count())
        .where(_on_days(ContactEntry.occurred_on, period))
        .group_by(ContactEntry.method)
    ).all()


assert set(METHOD_LABELS) == set(CONTACT_METHODS)
CONTACTS_BY_METHOD = Measure(
    code="contacts_by_method",
    section="Cases",
    title="Contacts with families, by method",
    description="Contacts logged in the year on referrals and cases, by how they happened, by the day they happened.",
    rows=Dimension("Method", METHOD_LABELS),
    count=_count_contacts,
    chart=True,
)


# Governance --------------------------------------------------------------------------------------


def _count_consent_reviews(period: Period) -> list[tuple[str, int]]:
    done = db.session.execute(
        select(ConsentReview.outcome, func.count())
        .where(_on_days(ConsentReview.reviewed_on, period))
        .group_by(ConsentReview.outcome)
    ).all()
    overdue = db.session.scalar(
        select(func.count()).where(
            Case.opened_at < period.ends,
            or_(Case.closed_on.is_(None), Case.closed_on > period.as_at),
            Case.consent_review_due < period.as_at,
        )
    )
    return [*(tuple(row) for row in done), ("overdue", overdue or 0)]


REVIEW_LABELS = {
    "confirmed": "Reviews done: consent confirmed",
    "changed": "Reviews done: consent changed",
    "withdrawn": "Reviews done: consent withdrawn",
}
assert set(REVIEW_LABELS) == set(REVIEW_OUTCOMES)
CONSENT_REVIEWS = Measure(
    code="consent_reviews",
    section="Governance",
    title="Consent reviews",
    description=(
        "Consent reviews done in the year, by outcome, and cases not closed by 31 August whose review "
        "was overdue then. The portal keeps each case's current review date, so a review done since "
        "31 August moves it: for a year counted well after its end, overdue reviews are undercounted, "
        "which freezing the year soon after 31 August avoids."
    ),
    rows=Dimension("Consent reviews", {**REVIEW_LABELS, "overdue": "Cases with a review overdue at 31 August"}),
    count=_count_consent_reviews,
    total_row=False,
)


def _count_disclosures(period: Period) -> list[Row]:
    return db.session.execute(
        select(Disclosure.basis, func.count())
        .where(Disclosure.shared, _on_days(Disclosure.disclosed_on, period))
        .group_by(Disclosure.basis)
    ).all()


assert set(BASIS_LABELS) == set(DISCLOSURE_BASES)
DISCLOSURES_BY_BASIS = Measure(
    code="disclosures_by_basis",
    section="Governance",
    title="Information shared with others, by basis",
    description=(
        "Disclosures of a family's information to someone outside the service made in the year, by the "
        "basis they were made on. Only disclosures that were made count: not those declined or awaiting "
        "a manager's approval."
    ),
    rows=Dimension("Basis", BASIS_LABELS),
    count=_count_disclosures,
    chart=True,
)


def _count_information_requests(period: Period) -> list[tuple[str, str, int]]:
    answered_in_time = case(
        (
            InformationRequest.kind == "complaint",
            and_(
                InformationRequest.acknowledged_on.is_not(None),
                InformationRequest.acknowledged_on <= InformationRequest.due_on,
            ),
        ),
        else_=and_(
            InformationRequest.closed_on.is_not(None), InformationRequest.closed_on <= InformationRequest.due_on
        ),
    )
    extended = or_(InformationRequest.extension_months > 0, InformationRequest.extension_working_days > 0)
    rows = db.session.execute(
        select(
            InformationRequest.kind,
            func.count(),
            func.sum(case((answered_in_time, 1), else_=0)),
            func.sum(case((extended, 1), else_=0)),
        )
        .where(_on_days(InformationRequest.received_on, period))
        .group_by(InformationRequest.kind)
    ).all()
    return [
        (kind, column, number or 0)
        for kind, received, in_time, extensions in rows
        for column, number in (("received", received), ("in_time", in_time), ("extended", extensions))
    ]


assert set(KIND_LABELS) == set(REQUEST_KINDS)
INFORMATION_REQUESTS = Measure(
    code="information_requests",
    section="Governance",
    title="Subject access, Freedom of Information and complaints",
    description=(
        "Requests received in the year. Answered in time: a subject access or Freedom of Information "
        "request closed by its deadline (an extension moves the deadline), or a data protection "
        "complaint acknowledged within its 30 days. Extended: a subject access request extended by one "
        "or two months, or a Freedom of Information request given a public interest extension. A request "
        "received late in the year counts here even if it was answered in the next."
    ),
    rows=Dimension("Request", KIND_LABELS),
    columns=Dimension("", {"received": "Received", "in_time": "Answered in time", "extended": "Deadline extended"}),
    count=_count_information_requests,
)


# Workforce ---------------------------------------------------------------------------------------


def _count_workforce(period: Period) -> list[tuple[str, int]]:
    config = current_app.config
    # Training is in date on a day when it expires after it (as for access: accounts.access_gaps).
    trained_after = add_months(period.as_at, -config["TRAINING_VALID_MONTHS"])
    in_date = and_(StaffUser.training_completed_on > trained_after, StaffUser.training_completed_on <= period.as_at)
    # Roles are a space-separated list; padded with spaces, a role is found whole, never inside another.
    padded_roles = literal(" ") + StaffUser.roles + literal(" ")
    volunteer = or_(*(padded_roles.contains(f" {role} ") for role in sorted(roles_with("sign_volunteer_agreement"))))
    on_agreement = StaffUser.volunteer_agreement_version == config["VOLUNTEER_AGREEMENT_VERSION"]
    row = db.session.execute(
        select(
            func.count(),
            func.sum(case((in_date, 1), else_=0)),
            func.sum(case((volunteer, 1), else_=0)),
            func.sum(case((and_(volunteer, on_agreement), 1), else_=0)),
        ).where(StaffUser.active)
    ).one()
    everyone, trained, volunteers, agreed = (number or 0 for number in row)
    return [
        ("trained", trained),
        ("not_trained", everyone - trained),
        ("agreement_current", agreed),
        ("agreement_not_current", volunteers - agreed),
    ]


WORKFORCE = Measure(
    code="workforce",
    section="Workforce",
    title="Confidentiality training and the Volunteer Agreement",
    description=(
        "Staff and volunteers with a back-office account that is active now, by whether their "
        "confidentiality training was in date at 31 August (or today, while the year is running), and "
        "volunteers by whether they have signed the current version of the Volunteer Agreement. The "
        "portal keeps each person's latest training date and agreement only, so this is counted from "
        "those, and accounts deactivated since are not counted."
    ),
    rows=Dimension(
        "Workforce",
        {
            "trained": "Staff and volunteers with training in date",
            "not_trained": "Staff and volunteers with training out of date or not recorded",
            "agreement_current": "Volunteers on the current Volunteer Agreement",
            "agreement_not_current": "Volunteers not on the current Volunteer Agreement",
        },
    ),
    count=_count_workforce,
    total_row=False,
)

# Family feedback ---------------------------------------------------------------------------------


def _feedback_measure(question: str, text: str, answers: dict[str, str]) -> Measure:
    def count(period: Period) -> list[tuple[str, int]]:
        return list(feedback.answer_counts(period.year)[question].items())

    return Measure(
        code=f"feedback_{question}",
        section="Family feedback",
        title=f"Family feedback: “{text}”",
        description=(
            "Answers families gave in the year to the feedback form sent when their case closed. Answers are "
            "kept with nothing that leads back to the family or the case, and comments never appear here."
        ),
        rows=Dimension("Answer", answers),
        count=count,
        chart=True,
    )


FEEDBACK = tuple(_feedback_measure(question, text, answers) for question, (text, answers) in feedback.QUESTIONS.items())

MEASURES: tuple[Measure, ...] = (
    SUPPORTED,
    REFERRALS_BY_ROUTE,
    REFERRALS_BY_COMPLETER,
    REFERRALS_BY_OUTCOME,
    AGE_BANDS_AT_REFERRAL,
    CASES_BY_LEVEL,
    CASES_AT_YEAR_END,
    CASES_BY_TOPIC,
    CONTACTS_BY_METHOD,
    CONSENT_REVIEWS,
    DISCLOSURES_BY_BASIS,
    INFORMATION_REQUESTS,
    WORKFORCE,
    *FEEDBACK,
)
MEASURES_BY_CODE = {measure.code: measure for measure in MEASURES}


# Counting a year, and freezing it -----------------------------------------------------------------


@dataclass(frozen=True)
class YearCounts:
    """A year's raw counts, measure by measure: never shown as they are (``publish`` is)."""

    year: AcademicYear
    frozen: bool
    in_progress: bool
    counts: dict[str, Counts]


def live_counts(year: AcademicYear, today: dt.date) -> dict[str, Counts]:
    """Every measure counted from the records as they are on ``today``."""
    period = Period(year, min(year.last_day, today))
    return {measure.code: measure.tally(period) for measure in MEASURES}


def frozen_counts(year: AcademicYear) -> dict[str, Counts] | None:
    """The frozen rows of ``year``, measure by measure; None if it is not frozen."""
    if db.session.get(FrozenYear, year.name) is None:
        return None
    counts: dict[str, Counts] = {}
    for row in db.session.execute(
        select(FrozenCount.measure, FrozenCount.category, FrozenCount.second_category, FrozenCount.count).where(
            FrozenCount.year == year.name
        )
    ):
        counts.setdefault(row.measure, {})[row.category, row.second_category] = row.count
    return counts


def year_counts(year: AcademicYear, today: dt.date) -> YearCounts:
    frozen = frozen_counts(year)
    if frozen is not None:
        return YearCounts(year, frozen=True, in_progress=False, counts=frozen)
    return YearCounts(year, frozen=False, in_progress=today <= year.last_day, counts=live_counts(year, today))


class FreezeRefused(Refusal):
    """``year`` cannot be frozen (not ended yet, frozen already, or not a year with records); the
    message says which."""

    def __init__(self, year: AcademicYear, message: str) -> None:
        super().__init__({"year": message})
        self.year = year


def why_not_freeze(year: AcademicYear, today: dt.date) -> str | None:
    """Why ``year`` cannot be frozen on ``today``; None when it can."""
    if today <= year.last_day:
        return f"{year.name} cannot be frozen until it has ended: it ends on {long_date(year.last_day)}."
    if db.session.get(FrozenYear, year.name) is not None:
        return f"{year.name} is frozen already. A frozen year cannot be frozen again or unfrozen."
    return None


def freeze(year: AcademicYear, actor: Actor) -> int:
    """Store ``year``'s raw counts, counted from the records now, as the year's counts for good;
    returns how many cells were stored. Only once the year has ended (its 31 August is before
    today), and only once: the year is the frozen rows' key, so a second attempt (even one racing
    this) is refused by the database, and nothing offers to unfreeze."""
    refusal = why_not_freeze(year, actor.today)
    if refusal:
        raise FreezeRefused(year, refusal)
    counts = live_counts(year, actor.today)
    db.session.add(FrozenYear(year=year.name, frozen_at=actor.at, frozen_by_id=actor.staff_id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise FreezeRefused(year, f"{year.name} is frozen already. A frozen year cannot be frozen again.") from None
    cells = [
        {"year": year.name, "measure": code, "category": category, "second_category": second, "count": number}
        for code, measure_counts in counts.items()
        for (category, second), number in measure_counts.items()
    ]
    db.session.execute(insert(FrozenCount), cells)
    audit.record(actor, "statistics frozen", detail=f"{year.name}: {len(cells)} counts")
    db.session.commit()
    return len(cells)


# What may be published --------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedRow:
    label: str
    cells: tuple[str, ...]  # each already through the small-number rule
    percentage: str = ""


@dataclass(frozen=True)
class PublishedTable:
    """A measure as every output shows it: labels and suppressed figures only."""

    measure: Measure
    headings: tuple[str, ...]  # the figures' column headings
    rows: tuple[PublishedRow, ...]
    total: PublishedRow | None
    warnings: tuple[str, ...]
    chart: Markup | None

    @property
    def shows_percentages(self) -> bool:
        return any(row.percentage for row in self.rows)


@dataclass(frozen=True)
class PublishedReport:
    year: AcademicYear
    frozen: bool
    in_progress: bool
    tables: tuple[PublishedTable, ...]
    rule: str = suppression.RULE_IN_WORDS

    @property
    def sections(self) -> list[tuple[str, list[PublishedTable]]]:
        grouped: dict[str, list[PublishedTable]] = {}
        for table in self.tables:
            grouped.setdefault(table.measure.section, []).append(table)
        return list(grouped.items())

    def table(self, code: str) -> PublishedTable:
        return next(table for table in self.tables if table.measure.code == code)


def _one_category_warnings(measure: Measure, counts: Counts) -> list[str]:
    """Where a line of exclusive categories holds anything and all of it is in one category, anyone
    who knows a family is counted in that line learns which category they are in."""
    rows = list(measure.rows.categories.items())
    columns = list(measure.columns.categories.items()) if measure.columns else [(NO_SECOND_CATEGORY, "")]
    warnings = []
    if measure.total_row:  # down each column, the rows are exclusive
        for column, column_label in columns:
            values = [counts.get((row, column), 0) for row, _ in rows]
            if sum(values) and values.count(0) == len(values) - 1:
                only = rows[next(index for index, value in enumerate(values) if value)][1]
                where = f" ({column_label})" if column_label else ""
                warnings.append(f"Every count{where} is in one category, “{only}”.")
    if measure.total_column and measure.columns:  # across each row, the columns are exclusive
        for row, row_label in rows:
            values = [counts.get((row, column), 0) for column, _ in columns]
            if sum(values) and values.count(0) == len(values) - 1:
                only = columns[next(index for index, value in enumerate(values) if value)][1]
                warnings.append(f"Every count in “{row_label}” is in one category, “{only}”.")
    return warnings


def _publish_table(measure: Measure, counts: Counts, year: AcademicYear) -> PublishedTable:
    rows = list(measure.rows.categories.items())
    columns = list(measure.columns.categories.items()) if measure.columns else [(NO_SECOND_CATEGORY, "Number")]
    raw = [[counts.get((row, column), 0) for column, _ in columns] for row, _ in rows]
    grand_total = sum(map(sum, raw))
    one_dimension = measure.columns is None

    def line(label: str, values: list[int]) -> PublishedRow:
        figures = [suppression.shown(value) for value in values]
        if measure.total_column and not one_dimension:
            figures.append(suppression.shown(sum(values)))
        share = suppression.percentage(values[0], grand_total) if one_dimension and measure.total_row else ""
        return PublishedRow(label, tuple(figures), share)

    published_rows = tuple(line(label, values) for (_, label), values in zip(rows, raw, strict=True))
    total = line("Total", [sum(column) for column in zip(*raw, strict=True)]) if measure.total_row else None
    headings = tuple(label for _, label in columns) + (("Total",) if measure.total_column and not one_dimension else ())
    chart = None
    if measure.chart and one_dimension:
        chart = charts.bar_chart(
            f"chart-{measure.code}",
            f"{measure.title}, {year.name}",
            [
                charts.Bar(row.label, suppression.rounded(value[0]), row.cells[0])
                for row, value in zip(published_rows, raw, strict=True)
            ],
        )
    return PublishedTable(
        measure, headings, published_rows, total, tuple(_one_category_warnings(measure, counts)), chart
    )


def publish(counts: YearCounts) -> PublishedReport:
    """The year's figures as they may be shown: each measure through the small-number rule. A
    measure the frozen rows do not hold (one added after the year was frozen) is left out rather
    than shown as zeros."""
    tables = tuple(
        _publish_table(measure, counts.counts[measure.code], counts.year)
        for measure in MEASURES
        if measure.code in counts.counts
    )
    return PublishedReport(counts.year, counts.frozen, counts.in_progress, tables)


# Years, views and downloads ----------------------------------------------------------------------


class NotOffered(LookupError):
    """Not a year (or a format, or a measure) the reports offer: malformed, a year still to come or
    before any record, or a measure that does not exist."""


@dataclass(frozen=True)
class YearChoice:
    year: AcademicYear
    frozen: bool


def years_offered(today: dt.date) -> list[YearChoice]:
    """The current year and every earlier one with records or frozen counts, newest first."""
    current = AcademicYear.of(today)
    first_referral = db.session.scalar(select(func.min(Referral.submitted_at)))
    frozen = set(db.session.scalars(select(FrozenYear.year)))
    earliest = [current]
    if first_referral is not None:
        # SQLite hands the moment back as text, PostgreSQL as a datetime.
        earliest.append(AcademicYear.of(london_day(dt.datetime.fromisoformat(str(first_referral)))))
    earliest.extend(AcademicYear.named(name) for name in frozen)
    first = min(earliest)
    return [
        YearChoice(AcademicYear(starts), AcademicYear(starts).name in frozen)
        for starts in range(current.starts, first.starts - 1, -1)
    ]


def chosen_year(name: str | None, today: dt.date) -> AcademicYear:
    """The year named (the current one when none is), if the reports offer it."""
    if not name:
        return AcademicYear.of(today)
    try:
        year = AcademicYear.named(name)
    except NotAnAcademicYear:
        raise NotOffered(name) from None
    if year not in {choice.year for choice in years_offered(today)}:
        raise NotOffered(name)
    return year


@dataclass(frozen=True)
class ReportsPage:
    report: PublishedReport
    years: list[YearChoice]
    may_freeze: bool


def view(year_name: str | None, actor: Actor) -> ReportsPage:
    """The reports page's content for the year named; the look is audited like any other."""
    year = chosen_year(year_name, actor.today)
    report = publish(year_counts(year, actor.today))
    audit.record(actor, "statistics viewed", detail=year.name)
    db.session.commit()
    return ReportsPage(report, years_offered(actor.today), may_freeze=why_not_freeze(year, actor.today) is None)


def freeze_named(year_name: str | None, actor: Actor) -> AcademicYear:
    """``freeze`` for a year given by name, as the form or the command line gives it: one of the
    years the reports offer."""
    try:
        year = chosen_year(year_name or "", actor.today)
    except NotOffered:
        raise FreezeRefused(
            AcademicYear.of(actor.today),
            f"Give an academic year with records, such as {AcademicYear.of(actor.today).previous()}.",
        ) from None
    freeze(year, actor)
    return year


def freeze_question(year_name: str | None, today: dt.date) -> tuple[AcademicYear, str | None]:
    """The year a freeze would be asked for, and why it cannot be, if it cannot (nothing is stored)."""
    year = chosen_year(year_name, today)
    return year, why_not_freeze(year, today)


CSV_HEADINGS = ("year", "measure", "category", "second_category", "value")


def csv_text(report: PublishedReport, measure_code: str | None = None) -> str:
    """The report as one tidy CSV (a line per figure: year, measure, category, second category,
    value), or one measure's lines. Every value is "0", "*" or a multiple of 5, and every label is
    the portal's own, so no cell can start a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADINGS)
    for table in report.tables:
        if measure_code and table.measure.code != measure_code:
            continue
        for row in (*table.rows, *((table.total,) if table.total else ())):
            if table.measure.columns is None:
                writer.writerow((report.year.name, table.measure.title, row.label, "", row.cells[0]))
                continue
            for heading, value in zip(table.headings, row.cells, strict=True):
                writer.writerow((report.year.name, table.measure.title, row.label, heading, value))
    return out.getvalue()


@dataclass(frozen=True)
class Download:
    filename: str
    mimetype: str
    content: bytes


DOWNLOAD_FORMATS = ("csv", "pdf", "html")


def annual_report_filename(year_name: str) -> str:
    """The Annual Report PDF's name, whether ``report annual`` writes it or a job makes it."""
    return f"sps-annual-report-{year_name}.pdf"


def download(year_name: str | None, file_format: str, measure_code: str | None, actor: Actor) -> Download:
    """A year's figures as a file (every measure's, or with ``measure_code`` one measure's, as CSV;
    the Annual Report as PDF, or as the HTML it is drawn from); audited."""
    year = chosen_year(year_name, actor.today)
    if file_format not in DOWNLOAD_FORMATS or (measure_code and measure_code not in MEASURES_BY_CODE):
        raise NotOffered(f"{file_format} {measure_code}")
    report = publish(year_counts(year, actor.today))
    stem = f"sps-statistics-{year.name}" + (f"-{measure_code.replace('_', '-')}" if measure_code else "")
    if file_format == "csv":
        made = Download(f"{stem}.csv", "text/csv", csv_text(report, measure_code).encode("utf-8"))
    elif file_format == "pdf":
        made = Download(annual_report_filename(year.name), "application/pdf", pdf.render_annual_report(report))
    else:
        made = Download(
            f"sps-annual-report-{year.name}.html", "text/html", pdf.annual_report_html(report).encode("utf-8")
        )
    audit.record(actor, "statistics downloaded", detail=made.filename)
    db.session.commit()
    return made
