"""What the referral and case lists show of each family: people, not codes.

Both lists show the child's and the parent's or carer's names, a line of the needs, the worker and
how long the family waited against the service's promise. Only the page's own rows are read, with
the same few queries whatever the page holds: the names of every row in one query (only the
``full_name`` column, so nothing else about anyone is decrypted), the case each referral became in
another. Sorting happens in SQL on columns stored in the clear; names are encrypted, so they are
never sorted by the database (the only way would be to decrypt every row).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, case, select

from portal.crypto import keyring
from portal.extensions import db
from portal.models.cases import Case
from portal.models.referrals import Person, Referral, person_lookup_keys
from portal.models.staff import StaffUser
from portal.services.clock import london_day
from portal.services.deadlines import Calendar, nation_calendar, plural
from portal.services.problems import Refusal

# The acknowledgement every referrer is sent says "we will be in touch within 10 working days".
PROMISED_WORKING_DAYS = 10
NEEDS_LINE_LENGTH = 90
AUDIT_DETAIL_MAX = 200  # portal.models.audit.AuditEntry.detail
DIRECTIONS = ("ascending", "descending")


@dataclass(frozen=True)
class Waiting:
    """Working days from the day a referral arrived to the day its case opened, or to today while
    it is still new: the measure of the promise."""

    working_days: int
    still_waiting: bool

    @property
    def over_promise(self) -> bool:
        return self.working_days > PROMISED_WORKING_DAYS

    @property
    def words(self) -> str:
        return f"{self.working_days} of {plural(PROMISED_WORKING_DAYS, 'working day')}"

    @property
    def over_words(self) -> str:
        """Said in words beside the count, so the red of the tag is never the only sign."""
        return f"Over {plural(PROMISED_WORKING_DAYS, 'working day')}"


@dataclass(frozen=True)
class Family:
    """Who a referral is about, as a list shows them."""

    child_name: str | None
    parent_name: str | None


@dataclass(frozen=True)
class Sorting:
    """A list's order as asked in the query string (``sort``, ``order``), kept to the columns the
    list offers: anything else is the list's default."""

    column: str
    direction: str

    @classmethod
    def chosen(cls, columns: Iterable[str], default: Sorting, column: str | None, direction: str | None) -> Sorting:
        if column not in columns:
            return default
        return cls(column, direction if direction in DIRECTIONS else "ascending")

    @property
    def descending(self) -> bool:
        return self.direction == "descending"


def ordered(expression: ColumnElement, sorting: Sorting) -> ColumnElement:
    return expression.desc() if sorting.descending else expression.asc()


def service_calendar() -> Calendar:
    """The working days of the service's own nation (``SERVICE_NATION``)."""
    return nation_calendar(current_app.config["SERVICE_NATION"])


def waiting(received: dt.datetime, case_opened: dt.datetime | None, status: str, today: dt.date) -> Waiting | None:
    """How long the family waited, or None for a referral that closed without a case (the promise
    no longer applies)."""
    if status == "new":
        until, still = today, True
    elif case_opened is not None:
        until, still = london_day(case_opened), False
    else:
        return None
    return Waiting(service_calendar().working_days_after(london_day(received), until), still)


def shown_detail(what: str, ids: Sequence[int]) -> str:
    """The audit detail of a look at a list that names people: the records it showed, in the
    entry's 200 characters; the ids that do not fit are counted."""
    detail = f"{len(ids)} {what} shown" + (": " if ids else "")
    listed = ""
    for position, record_id in enumerate(ids):
        more = f"{', ' if listed else ''}{record_id}"
        rest = f" and {len(ids) - position} more"
        if len(detail) + len(listed) + len(more) + len(rest) > AUDIT_DETAIL_MAX:
            listed += rest
            break
        listed += more
    return detail + listed


def needs_line(needs: str | None) -> str:
    """The first line of what the family said they need, cut at a word near ``NEEDS_LINE_LENGTH``
    characters."""
    first = (needs or "").strip().splitlines()[0].strip() if (needs or "").strip() else ""
    if len(first) <= NEEDS_LINE_LENGTH:
        return first
    return first[:NEEDS_LINE_LENGTH].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def families(referral_ids: Iterable[int]) -> dict[int, Family]:
    """The child's and the parent's or carer's names for each referral, in one query."""
    ids = list(referral_ids)
    names: dict[int, dict[str, str]] = {referral_id: {} for referral_id in ids}
    if ids:
        rows = db.session.execute(
            select(Person.referral_id, Person.role, Person.full_name).where(
                Person.referral_id.in_(ids), Person.role.in_(("child", "parent_carer"))
            )
        )
        for referral_id, role, full_name in rows:
            names[referral_id][role] = full_name
    return {referral_id: Family(named.get("child"), named.get("parent_carer")) for referral_id, named in names.items()}


def cases_opened(referral_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """When each referral's case opened, for those that became cases, in one query."""
    ids = list(referral_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(Case.referral_id, Case.opened_at).where(Case.referral_id.in_(ids))).all())


def in_order(column: ColumnElement[str], values: Sequence[str]) -> ColumnElement[int]:
    """An ORDER BY expression putting rows in the order a vocabulary lists its values (a status's
    place in the service's sequence, not its alphabetical order); anything else comes last."""
    return case({value: place for place, value in enumerate(values)}, value=column, else_=len(values))


def staff_names(staff_ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these staff, in one query that decrypts nothing else about them."""
    ids = {staff_id for staff_id in staff_ids if staff_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids))).all())


def worker_order(column: ColumnElement[int | None]) -> ColumnElement[int]:
    """An ORDER BY expression putting rows in the order of their worker's name. Names are
    encrypted, so the staff (a few dozen accounts, one query) are put in order here and the
    database sorts by each one's place; nobody assigned comes last."""
    staff = db.session.execute(select(StaffUser.id, StaffUser.name)).all()
    places: Mapping[int, int] = {
        staff_id: place for place, (staff_id, _) in enumerate(sorted(staff, key=lambda row: row[1].casefold()))
    }
    if not places:
        return case((column.is_(None), 1), else_=0)
    return case(places, value=column, else_=len(places))


@dataclass(frozen=True)
class PersonSearch:
    """What someone typed to find a family: any of a full name, a date of birth and a postcode."""

    name: str = ""
    date_of_birth: dt.date | None = None
    postcode: str = ""


class SearchRefused(Refusal):
    """Nothing to search for; ``problems["name"]`` says what to type."""


SEARCH_TERMS = (("name_hash", "name"), ("birth_date_hash", "date of birth"), ("postcode_hash", "postcode"))


def people_matching(search: PersonSearch) -> tuple[list[ColumnElement[bool]], str]:
    """Conditions on ``Referral.id`` for each term typed (all must hold, each may be met by anyone
    in the referral), found through the keyed look-up hashes beside the people, so no row is
    decrypted; and how the search is described in the audit log: by the terms' hashes, never the
    terms (a hash made under a key since rotated away matches only until ``rotate-keys``)."""
    keys = person_lookup_keys(search.name or None, search.date_of_birth, search.postcode or None)
    ring = keyring()
    conditions, sought = [], []
    for column, words in SEARCH_TERMS:
        if keys[column]:
            hashes = ring.lookup_hashes(keys[column])  # type: ignore[arg-type]
            conditions.append(Referral.id.in_(select(Person.referral_id).where(getattr(Person, column).in_(hashes))))
            sought.append(f"{words} hash {ring.lookup_hash(keys[column])}")  # type: ignore[arg-type]
    if not conditions:
        raise SearchRefused({"name": "Enter a full name, a date of birth or a postcode"})
    return conditions, "; ".join(sought)
