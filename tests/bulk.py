"""Many referrals, fast, stored as the portal stores them: for benchmarks and query-count tests.

``insert_referrals(app, count)`` writes referrals with their people (the child; a parent or carer;
for professional referrals the referrer) and, for most professional referrals, the consent
attestation from the form. Personal fields are Fernet tokens made with the app's own keyring, and
lookup hashes are the app's keyed hashes, so every page decrypts and searches them for real.

Encrypting every field of every row would take minutes for 100,000 referrals, so each personal
field is encrypted in ``VARIANTS`` versions once and the tokens are shared between rows (which
decrypt exactly as distinct tokens would). What must be unique is unique per row: the reference
(generated and encrypted for each row), its hash, and the submission key hash.

The rows go in through SQLAlchemy Core ``insert()`` in executemany batches inside one transaction,
against "stored" views of the tables whose encrypted columns are plain text: through the models'
``EncryptedText`` type the tokens would be encrypted a second time. Referral ids are assigned here
(the people need them); on PostgreSQL the id sequence is moved past them afterwards.

The first rows of every call run through ``KINDS`` in order, so even a handful of referrals has
every route, who completed the form, each status and a professional referral still awaiting its
attestation; the rest are drawn at random (seeded).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Table, bindparam, column, func, insert, select, table, text
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.types import Text

from portal.crypto import EncryptedDate, EncryptedText, Keyring, normalise_email
from portal.extensions import db
from portal.models.cases import Case, CaseNote, CaseNoteRevision, ContactEntry
from portal.models.consent import ConsentParty, ConsentRecord, ConsentReview, Disclosure
from portal.models.referrals import (
    WITHDRAWAL_METHODS,
    ConsentAttestation,
    Person,
    PrivacyNoticeVersion,
    Referral,
    person_lookup_keys,
)
from portal.services import clock, references
from portal.services.case_codes import INTERVENTION_LEVELS, TOPICS
from portal.services.clock import add_months, london_day
from portal.services.consent import ATTESTATION_STATEMENT
from portal.services.referrals import age_band_on

VARIANTS = 50
BATCH = 5_000
SPAN = dt.timedelta(days=730)  # submitted over the last two years
RECENT = dt.timedelta(days=30)  # most referrals this young are still new

FIRST_NAMES = (
    "Ada", "Bea", "Cal", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu", "Mo", "Nia", "Oz", "Pip",
    "Quin", "Rae", "Sol", "Tam", "Uma", "Vic", "Wyn", "Xan", "Yas", "Zed", "Siân", "Zoë", "Tomasz", "Priya",
)  # fmt: skip
SURNAMES = (
    "Example", "Sample", "Specimen", "Fictional", "Madeup", "Placeholder", "Testcase", "Dummy", "Mockford",
    "Ó Briain-Nakamura", "Kowalska", "Shah", "Invented", "Notreal", "Pretend",
)  # fmt: skip
SCHOOLS = (
    "Riverside Primary School", "Example Academy", "Hillview Secondary School", "Orchard Nursery",
    "Westfield College", "St Placeholder's CofE Primary", "Brook Lane Special School", "Home educated",
)  # fmt: skip
JOB_TITLES = ("SENCo", "Family Support Worker", "Health Visitor", "Educational Psychologist", "Social Worker")
NEEDS = (
    "Autism and speech delay. We would like help asking for an EHC needs assessment.",
    "Dyslexia; would like help asking the school for support with reading and exams.",
    "ADHD, waiting for an assessment. Two fixed-term exclusions this term and the family is worried about "
    "a permanent exclusion. They would like someone to come to the next meeting with the school.",
    "Physical disability; school transport has stopped and the appeal deadline is close.",
    "Anxious about moving to secondary school.\nThe annual review has not happened this year.",
)
DECLINE_REASONS = (
    "Outside the service's area: signposted to the neighbouring council's service.",
    "The family asked us not to proceed.",
    "Duplicate of an earlier referral.",
)

# (route, completed_by, parent or carer named, attestation on record, status)
KINDS = (
    ("professional", "professional", True, True, "new"),
    ("self", "parent_carer", True, False, "accepted"),
    ("professional", "professional", True, False, "new"),
    ("self", "young_person", False, False, "declined"),
    ("professional", "professional", False, True, "accepted"),
    ("self", "parent_carer", True, False, "new"),
    ("professional", "professional", True, True, "declined"),
    ("self", "young_person", False, False, "new"),
)


@dataclass(frozen=True)
class Inserted:
    referrals: int
    people: int
    attestations: int
    first_id: int
    last_id: int
    seconds: float

    def summary(self) -> str:
        return (
            f"{self.referrals:,} referrals, {self.people:,} people, {self.attestations:,} attestations "
            f"in {self.seconds:.1f} s ({self.referrals / self.seconds:,.0f} referrals/s)"
        )


def stored(model_table: Table) -> TableClause:
    """The table as it is stored: encrypted columns as the plain text they hold."""
    return table(
        model_table.name,
        *(
            column(each.name, Text() if isinstance(each.type, (EncryptedText, EncryptedDate)) else each.type)
            for each in model_table.columns
        ),
    )


REFERRALS = stored(Referral.__table__)  # type: ignore[arg-type]
PEOPLE = stored(Person.__table__)  # type: ignore[arg-type]
ATTESTATIONS = stored(ConsentAttestation.__table__)  # type: ignore[arg-type]


class Tokens:
    """``VARIANTS`` encrypted versions of each personal field, made once per keyring."""

    def __init__(self, keyring: Keyring, rng: random.Random) -> None:
        def names() -> list[str]:
            return [f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}" for _ in range(VARIANTS)]

        def encrypted(plaintexts: list[str]) -> list[str]:
            return [keyring.encrypt(plaintext) for plaintext in plaintexts]

        def hashed(column: str, **plaintext: Any) -> str:
            """The look-up hash the model's event would store (``person_lookup_keys``)."""
            keys = person_lookup_keys(plaintext.get("full_name"), plaintext.get("born"), plaintext.get("postcode"))
            return keyring.lookup_hash(keys[column])  # type: ignore[arg-type]

        today = clock.london_today()
        # Names, dates of birth and postcodes with the keyed hashes the search by person finds.
        self.child_names, self.parent_names, self.referrer_names = names(), names(), names()
        self.child_name = encrypted(self.child_names)
        self.parent_name = encrypted(self.parent_names)
        self.referrer_name = encrypted(self.referrer_names)
        self.child_name_hash = [hashed("name_hash", full_name=name) for name in self.child_names]
        self.parent_name_hash = [hashed("name_hash", full_name=name) for name in self.parent_names]
        self.referrer_name_hash = [hashed("name_hash", full_name=name) for name in self.referrer_names]
        # Kept in the clear too, so each referral's age band is worked out as submission does.
        self.born = [today - dt.timedelta(days=rng.randrange(2 * 365, 24 * 365)) for _ in range(VARIANTS)]
        self.date_of_birth = encrypted([born.isoformat() for born in self.born])
        self.birth_date_hash = [hashed("birth_date_hash", born=born) for born in self.born]
        emails = [f"family{number}@example.com" for number in range(VARIANTS)]
        self.email = encrypted(emails)
        self.email_hash = [keyring.lookup_hash(normalise_email(email)) for email in emails]
        referrer_emails = [f"referrer{number}@school.example.org" for number in range(VARIANTS)]
        self.referrer_email = encrypted(referrer_emails)
        self.referrer_email_hash = [keyring.lookup_hash(normalise_email(email)) for email in referrer_emails]
        self.phone = encrypted([f"07700 900{number:03d}" for number in range(VARIANTS)])
        self.referrer_phone = encrypted([f"01632 960{number:03d}" for number in range(VARIANTS)])
        self.address = encrypted([f"{number + 1} Example Street\nBath" for number in range(VARIANTS)])
        postcodes = [f"BA1 {number % 10}AA" for number in range(VARIANTS)]
        self.postcode = encrypted(postcodes)
        self.postcode_hash = [hashed("postcode_hash", postcode=postcode) for postcode in postcodes]
        self.organisation = encrypted([SCHOOLS[number % len(SCHOOLS)] for number in range(VARIANTS)])
        self.job_title = encrypted([JOB_TITLES[number % len(JOB_TITLES)] for number in range(VARIANTS)])
        self.school = encrypted([SCHOOLS[number % len(SCHOOLS)] for number in range(VARIANTS)])
        self.needs = encrypted([NEEDS[number % len(NEEDS)] for number in range(VARIANTS)])
        self.decline_reason = encrypted([DECLINE_REASONS[number % len(DECLINE_REASONS)] for number in range(VARIANTS)])


def _kind(number: int, age: dt.timedelta, rng: random.Random) -> tuple[str, str, bool, bool, str]:
    if number < len(KINDS):
        return KINDS[number]
    if rng.random() < 0.4:
        route, completed_by, parent = "professional", "professional", rng.random() < 0.85
        attested = rng.random() < 0.9
    else:
        route, completed_by = "self", "parent_carer" if rng.random() < 0.8 else "young_person"
        parent, attested = completed_by == "parent_carer", False
    if age < RECENT:
        status = "new" if rng.random() < 0.9 else "accepted"
    else:
        status = rng.choices(("new", "accepted", "declined", "withdrawn"), weights=(3, 70, 22, 5))[0]
    return route, completed_by, parent, attested, status


def _unique_reference(keyring: Keyring, taken: set[str]) -> tuple[str, str]:
    while True:
        reference = str(references.generate("SPS"))
        reference_hash = keyring.lookup_hash(reference)
        if reference_hash not in taken:
            taken.add(reference_hash)
            return keyring.encrypt(reference), reference_hash


def _flush(connection: Connection, rows: dict[TableClause, list[dict[str, Any]]]) -> None:
    for target in (REFERRALS, PEOPLE, ATTESTATIONS):  # referrals first: the others refer to them
        if rows[target]:
            connection.execute(insert(target), rows[target])
            rows[target] = []


def insert_referrals(app: Flask, count: int, seed: int | None = None, batch: int = BATCH) -> Inserted:
    """Insert ``count`` referrals in one transaction; returns what went in and how long it took."""
    started = time.perf_counter()
    rng = random.Random(seed)
    keyring: Keyring = app.extensions["portal_keyring"]
    tokens = Tokens(keyring, rng)
    now = clock.now()

    def token(field: list[str]) -> str:
        return field[rng.randrange(VARIANTS)]

    with app.app_context(), db.engine.begin() as connection:
        version = connection.scalar(
            select(PrivacyNoticeVersion.version).order_by(PrivacyNoticeVersion.published_on.desc()).limit(1)
        )
        first_id = (connection.scalar(select(func.max(REFERRALS.c.id))) or 0) + 1
        taken = set(connection.scalars(select(REFERRALS.c.reference_hash)))
        # Oldest first, so ids rise with submission time as they do in service.
        moments = sorted(now - SPAN * rng.random() for _ in range(count))
        rows: dict[TableClause, list[dict[str, Any]]] = {REFERRALS: [], PEOPLE: [], ATTESTATIONS: []}
        people = attestations = 0
        for number, submitted_at in enumerate(moments):
            referral_id = first_id + number
            route, completed_by, parent, attested, status = _kind(number, now - submitted_at, rng)
            preferred = rng.choices(("email", "phone", "letter"), weights=(6, 3, 1))[0]
            reference, reference_hash = _unique_reference(keyring, taken)
            closed_on = None
            if status in ("declined", "withdrawn"):
                closed_on = london_day(min(now, submitted_at + dt.timedelta(days=rng.randrange(1, 30))))
            born = rng.randrange(VARIANTS)
            rows[REFERRALS].append(
                {
                    "id": referral_id,
                    "reference": reference,
                    "reference_hash": reference_hash,
                    "submission_key_hash": hashlib.sha256(secrets.token_urlsafe(24).encode()).hexdigest(),
                    "route": route,
                    "completed_by": completed_by,
                    "status": status,
                    "assigned_to_id": None,
                    "decline_reason": token(tokens.decline_reason) if status == "declined" else None,
                    "closed_on": closed_on,
                    "withdrawal_method": rng.choice(WITHDRAWAL_METHODS) if status == "withdrawn" else None,
                    "child_age_band": age_band_on(tokens.born[born], london_day(submitted_at)),
                    "school_or_setting": token(tokens.school),
                    "needs": token(tokens.needs),
                    "preferred_contact": preferred,
                    "privacy_notice_version": version,
                    "privacy_agreed_at": submitted_at - dt.timedelta(minutes=rng.randrange(2, 40)),
                    "submitted_at": submitted_at,
                }
            )
            variant = rng.randrange(VARIANTS)
            contact = {
                "email": tokens.email[variant],
                "email_hash": tokens.email_hash[variant],
                "phone": token(tokens.phone),
                "address": token(tokens.address) if preferred == "letter" or rng.random() < 0.5 else None,
                "postcode": None,
                "postcode_hash": None,
            }
            if contact["address"]:
                postcode = rng.randrange(VARIANTS)
                contact["postcode"] = tokens.postcode[postcode]
                contact["postcode_hash"] = tokens.postcode_hash[postcode]
            blank = dict.fromkeys(("email", "email_hash", "phone", "address", "postcode", "postcode_hash"))
            person = {
                "referral_id": referral_id,
                "date_of_birth": None,
                "birth_date_hash": None,
                "organisation": None,
                "job_title": None,
            }
            child = rng.randrange(VARIANTS)
            rows[PEOPLE].append(
                {
                    **person,
                    **(blank if parent else contact),
                    "role": "child",
                    "full_name": tokens.child_name[child],
                    "name_hash": tokens.child_name_hash[child],
                    "date_of_birth": tokens.date_of_birth[born],
                    "birth_date_hash": tokens.birth_date_hash[born],
                }
            )
            people += 1
            if parent:
                named = rng.randrange(VARIANTS)
                rows[PEOPLE].append(
                    {
                        **person,
                        **contact,
                        "role": "parent_carer",
                        "full_name": tokens.parent_name[named],
                        "name_hash": tokens.parent_name_hash[named],
                    }
                )
                people += 1
            if route == "professional":
                referrer = rng.randrange(VARIANTS)
                rows[PEOPLE].append(
                    {
                        **person,
                        "role": "referrer",
                        "full_name": tokens.referrer_name[referrer],
                        "name_hash": tokens.referrer_name_hash[referrer],
                        "organisation": tokens.organisation[referrer],
                        "job_title": tokens.job_title[referrer],
                        "email": tokens.referrer_email[referrer],
                        "email_hash": tokens.referrer_email_hash[referrer],
                        "phone": tokens.referrer_phone[referrer],
                        "address": None,
                        "postcode": None,
                        "postcode_hash": None,
                    }
                )
                people += 1
                if attested:
                    rows[ATTESTATIONS].append(
                        {
                            "referral_id": referral_id,
                            "given_by": "parent_carer" if parent else "young_person",
                            "given_on": (submitted_at - dt.timedelta(days=rng.randrange(0, 14))).date(),
                            "method": rng.choice(("written", "verbal", "email")),
                            "referrer_name": tokens.referrer_name[referrer],
                            "referrer_role": tokens.job_title[referrer],
                            "referrer_organisation": tokens.organisation[referrer],
                            "referrer_email": tokens.referrer_email[referrer],
                            "referrer_phone": tokens.referrer_phone[referrer],
                            "wording": ATTESTATION_STATEMENT,
                            "source": "referral_form",
                            "recorded_by_id": None,
                            "recorded_at": submitted_at,
                        }
                    )
                    attestations += 1
            if len(rows[REFERRALS]) >= batch:
                _flush(connection, rows)
        _flush(connection, rows)
        last_id = first_id + count - 1
        postgresql = connection.dialect.name == "postgresql"
        if postgresql and count:
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('referrals', 'id'), :last_id)"), {"last_id": last_id}
            )
    if postgresql and count:
        _vacuum(app)
    return Inserted(count, people, attestations, first_id, last_id, time.perf_counter() - started)


def _vacuum(app: Flask) -> None:
    """Planner statistics and the visibility map, as autovacuum makes them soon after a load this
    size in service; without them PostgreSQL plans for an empty table and cannot answer a count
    from an index alone."""
    with app.app_context(), db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("VACUUM ANALYZE referrals, people, consent_attestations"))


# Casework: cases opened from referrals, and the timeline of one case.
#
# ``insert_cases(app, count, opened_by)`` writes ``count`` referrals through ``insert_referrals``,
# marks them accepted and opens a case on each, as triage's accept does; ``insert_timeline(app,
# case_id, entries, recorded_by, approved_by)`` gives one case ``entries`` timeline entries of
# every kind. The same shortcuts as above: Core inserts in batches against the stored tables, ids
# assigned here (and PostgreSQL's sequences moved past them), personal text shared between rows
# from ``VARIANTS`` encrypted versions.

CASE_BATCH = 2_000
# The first cases of every call, in order: status, and days from today to the consent review (an
# open case overdue, so even one case assigned to someone shows on the overdue list).
CASES_FIRST = (("open", -14), ("inactive", 20), ("closed", 0))  # a closed case has no review due
OPEN_FOR = dt.timedelta(days=365)  # a case this old is more likely closed
REVIEW_SPREAD = (-120, 183)  # days from today a consent review falls due: about 40% overdue
CONSENT_REVIEW_MONTHS = 6

CASES = stored(Case.__table__)  # type: ignore[arg-type]
NOTES = stored(CaseNote.__table__)  # type: ignore[arg-type]
REVISIONS = stored(CaseNoteRevision.__table__)  # type: ignore[arg-type]
CONTACTS = stored(ContactEntry.__table__)  # type: ignore[arg-type]
CONSENTS = stored(ConsentRecord.__table__)  # type: ignore[arg-type]
PARTIES = stored(ConsentParty.__table__)  # type: ignore[arg-type]
REVIEWS = stored(ConsentReview.__table__)  # type: ignore[arg-type]
DISCLOSURES = stored(Disclosure.__table__)  # type: ignore[arg-type]

NOTE_TEXTS = (
    "Spoke to the SENCo about the draft plan. Section F still says 'access to' support without hours.",
    "Parent asked for help writing to the council about the missed annual review deadline.",
    "Went through the EHC needs assessment request with the family.\nThey will send the school reports.",
    "Tribunal bundle checked with the parent; the appeal form is ready to send.",
    "Young person wants to speak at the review meeting; prepared a one-page profile together.",
    "Transport appeal: gathered the medical evidence and the route assessment.",
)
CONTACT_SUMMARIES = (
    "Call with the parent to arrange the next meeting.",
    "E-mailed the school's SENCo the parent's questions about the draft plan.",
    "Letter explaining the annual review process sent to the family.",
    "Met the family at school with the SENCo and the class teacher.",
)
THIRD_PARTIES = (
    "Riverside Primary School", "Example Academy SENCo", "Hillview Secondary School", "School nursing team",
    "Educational psychology service", "Children's social care", "Local offer team", "GP surgery",
)  # fmt: skip
SHARED = (
    "The parent's letter about support in class and the last two school reports.",
    "Dates of the exclusions and the family's account of them.",
    "The child's name, date of birth and the needs described in the referral.",
)
JUSTIFICATIONS = (
    "Disclosure about risk of harm at home; the manager agreed a referral to children's social care.",
    "Section 47 enquiry: information requested by the local authority's safeguarding team.",
)
OUTCOMES = (
    "EHC plan issued with the changes the family asked for.",
    "Family supported through the tribunal; the appeal was conceded.",
    "Advice given; the family did not need further support.",
)
CHILD_VIEWS = ("Happy for the school to be told.", "Wants to be at the meeting too.")

# Timeline slots. Each takes one entry on the case page, except a withdrawn consent, which shows
# twice (given, then withdrawn). The first slots of every call run through ``SLOTS_FIRST``, so even
# three entries load every relationship the page loads only when there is something to load (a
# note's revisions, a consent's parties, the staff named); the rest are drawn by ``SLOT_WEIGHTS``.
SLOTS_FIRST = (
    "note_revised", "consent", "disclosure_consent", "contact", "review", "disclosure_legal",
    "consent_withdrawn", "referral_contact", "note",
)  # fmt: skip
SLOT_WEIGHTS = {
    "note": 30,
    "note_revised": 8,
    "contact": 24,
    "referral_contact": 3,
    "consent": 6,
    "consent_withdrawn": 3,
    "review": 6,
    "disclosure_consent": 14,
    "disclosure_legal": 6,
}


@dataclass(frozen=True)
class InsertedCases:
    referrals: Inserted
    cases: int
    first_id: int
    last_id: int
    statuses: dict[str, int]
    assigned: int
    seconds: float

    def summary(self) -> str:
        statuses = ", ".join(f"{number:,} {status}" for status, number in sorted(self.statuses.items()))
        return (
            f"{self.cases:,} cases ({statuses}; {self.assigned:,} assigned) on {self.referrals.referrals:,} "
            f"referrals in {self.seconds:.2f} s"
        )


@dataclass
class InsertedTimeline:
    case_id: int
    entries: int = 0  # as the case page shows them
    rows: Counter[str] = field(default_factory=Counter)  # rows written, by table
    seconds: float = 0.0

    def summary(self) -> str:
        rows = ", ".join(f"{number:,} {name}" for name, number in self.rows.items())
        return f"{self.entries:,} timeline entries on case {self.case_id} ({rows}) in {self.seconds:.2f} s"


class CaseTokens:
    """``VARIANTS`` encrypted versions of each casework text, made once per call."""

    def __init__(self, keyring: Keyring, rng: random.Random) -> None:
        def encrypted(choices: tuple[str, ...]) -> list[str]:
            return [keyring.encrypt(f"{choices[number % len(choices)]} ({number})") for number in range(VARIANTS)]

        self.note = encrypted(NOTE_TEXTS)
        self.revision = encrypted(tuple(f"Earlier draft: {text}" for text in NOTE_TEXTS))
        self.summary = encrypted(CONTACT_SUMMARIES)
        self.party = [keyring.encrypt(name) for name in THIRD_PARTIES]  # a disclosure names its party as is
        self.shared = encrypted(SHARED)
        self.justification = encrypted(JUSTIFICATIONS)
        self.recipient = encrypted(("Children's social care", "Local authority safeguarding team"))
        self.outcome = encrypted(OUTCOMES)
        self.child_view = encrypted(CHILD_VIEWS)
        self.rng = rng

    def pick(self, tokens: list[str]) -> str:
        return tokens[self.rng.randrange(len(tokens))]


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _next_id(connection: Connection, target: TableClause) -> int:
    return (connection.scalar(select(func.max(target.c.id))) or 0) + 1


def _move_sequences(connection: Connection, last_ids: dict[str, int]) -> None:
    """On PostgreSQL, each table's id sequence past the ids assigned here."""
    if connection.dialect.name != "postgresql":
        return
    for name, last_id in last_ids.items():
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence(:name, 'id'), :last_id)"), {"name": name, "last_id": last_id}
        )


def _vacuum_tables(app: Flask, *names: str) -> None:
    """As ``_vacuum``, for the tables named (PostgreSQL only)."""
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text(f"VACUUM ANALYZE {', '.join(names)}"))


def insert_cases(
    app: Flask,
    count: int,
    opened_by: int,
    assigned_to: int | None = None,
    assigned_every: int = 10,
    seed: int | None = None,
) -> InsertedCases:
    """Insert ``count`` referrals, accepted, each with its case, in the order they were submitted.
    Every ``assigned_every``-th new case, the first among them, and its referral are assigned to
    ``assigned_to`` (when given). The first cases are open, inactive and closed in turn; the rest
    are drawn (older cases more often closed). Open and inactive cases have a consent review due
    between 120 days ago and six months ahead (the first, open, two weeks overdue); closed ones a
    closing date and an outcome."""
    started = time.perf_counter()
    rng = random.Random(seed)
    referrals = insert_referrals(app, count, seed=seed)
    keyring: Keyring = app.extensions["portal_keyring"]
    tokens = CaseTokens(keyring, rng)
    topics, levels = tuple(TOPICS), tuple(INTERVENTION_LEVELS)
    now = clock.now()
    today = now.date()
    statuses: Counter[str] = Counter()
    assigned = 0

    def assignee(number: int) -> int | None:
        return assigned_to if assigned_to is not None and number % assigned_every == 0 else None

    with app.app_context(), db.engine.begin() as connection:
        first = referrals.first_id
        span = REFERRALS.c.id.between(first, referrals.last_id)
        connection.execute(
            REFERRALS.update()
            .where(span)
            .values(status="accepted", decline_reason=None, closed_on=None, withdrawal_method=None)
        )
        if assigned_to is not None:
            connection.execute(
                REFERRALS.update()
                .where(span, (REFERRALS.c.id - first) % assigned_every == 0)
                .values(assigned_to_id=assigned_to)
            )
        submitted = {
            referral_id: moment
            for referral_id, moment in connection.execute(select(REFERRALS.c.id, REFERRALS.c.submitted_at).where(span))
        }
        first_case = _next_id(connection, CASES)
        rows: list[dict[str, Any]] = []
        for number in range(count):
            referral_id = first + number
            opened_at = min(now, _aware(submitted[referral_id]) + dt.timedelta(hours=rng.randrange(2, 24 * 21)))
            review_in = rng.randrange(*REVIEW_SPREAD)
            if number < len(CASES_FIRST):
                status, review_in = CASES_FIRST[number]
            elif now - opened_at > OPEN_FOR:
                status = rng.choices(("open", "inactive", "closed"), weights=(25, 15, 60))[0]
            else:
                status = rng.choices(("open", "inactive", "closed"), weights=(70, 15, 15))[0]
            closed_on = closed_at = outcome = review_due = None
            if status == "closed":
                closed_on = opened_at.date() + dt.timedelta(
                    days=rng.randrange(0, max(1, (today - opened_at.date()).days))
                )
                closed_at = dt.datetime.combine(closed_on, dt.time(16, 30), dt.UTC)
                outcome = tokens.pick(tokens.outcome)
            else:
                review_due = today + dt.timedelta(days=review_in)
            worker = assignee(number)
            assigned += worker is not None
            statuses[status] += 1
            rows.append(
                {
                    "id": first_case + number,
                    "referral_id": referral_id,
                    "status": status,
                    "opened_at": opened_at,
                    "opened_by_id": opened_by,
                    "assigned_to_id": worker,
                    "closed_at": closed_at,
                    "version": 1,
                    "topic": rng.choice(topics) if rng.random() < 0.8 else None,
                    "intervention_level": rng.choice(levels) if rng.random() < 0.7 else None,
                    "consent_review_due": review_due,
                    "closed_on": closed_on,
                    "outcome": outcome,
                }
            )
            if len(rows) >= CASE_BATCH:
                connection.execute(insert(CASES), rows)
                rows = []
        if rows:
            connection.execute(insert(CASES), rows)
        # An accepted referral closes with its case, on the same day.
        case_closed_on = select(CASES.c.closed_on).where(CASES.c.referral_id == REFERRALS.c.id).scalar_subquery()
        connection.execute(REFERRALS.update().where(span).values(closed_on=case_closed_on))
        last_case = first_case + count - 1
        if count:
            _move_sequences(connection, {"cases": last_case})
    if count:
        _vacuum_tables(app, "referrals", "cases")
    return InsertedCases(
        referrals, count, first_case, last_case, dict(statuses), assigned, time.perf_counter() - started
    )


def insert_timeline(
    app: Flask,
    case_id: int,
    entries: int,
    recorded_by: Sequence[int],
    approved_by: int,
    seed: int | None = None,
) -> InsertedTimeline:
    """Add ``entries`` timeline entries to one case: notes (some edited, their earlier text kept as
    revisions), contacts (a few logged on the referral before the case opened), consents naming
    third parties (some withdrawn), consent reviews, and disclosures (on consent, to a party named
    in a current consent from this call; or on child protection, with a justification and
    ``approved_by``, a manager's id). Entries are dated between the case's opening (or its
    closing) and today, and recorded by the staff in ``recorded_by`` in turn at random."""
    started = time.perf_counter()
    rng = random.Random(seed)
    keyring: Keyring = app.extensions["portal_keyring"]
    tokens = CaseTokens(keyring, rng)
    added = InsertedTimeline(case_id)
    now = clock.now()

    slots: list[str] = []
    remaining = entries
    while remaining > 0:
        kind = (
            SLOTS_FIRST[len(slots)]
            if len(slots) < len(SLOTS_FIRST)
            else rng.choices(list(SLOT_WEIGHTS), weights=list(SLOT_WEIGHTS.values()))[0]
        )
        if kind == "consent_withdrawn" and remaining < 2:
            kind = "note"
        slots.append(kind)
        remaining -= 2 if kind == "consent_withdrawn" else 1
    added.entries = entries

    def staff() -> int:
        return recorded_by[rng.randrange(len(recorded_by))]

    with app.app_context(), db.engine.begin() as connection:
        case = connection.execute(
            select(CASES.c.referral_id, CASES.c.opened_at, CASES.c.closed_on).where(CASES.c.id == case_id)
        ).one()
        version = connection.scalar(
            select(PrivacyNoticeVersion.version).order_by(PrivacyNoticeVersion.published_on.desc()).limit(1)
        )
        opened = _aware(case.opened_at)
        until = dt.datetime.combine(case.closed_on, dt.time(17), dt.UTC) if case.closed_on else now
        moments = sorted(opened + (until - opened) * rng.random() for _ in slots)
        ids = {target: _next_id(connection, target) for target in (NOTES, REVISIONS, CONTACTS, CONSENTS, PARTIES)}
        rows: dict[TableClause, list[dict[str, Any]]] = {
            target: [] for target in (NOTES, REVISIONS, CONTACTS, CONSENTS, PARTIES, REVIEWS, DISCLOSURES)
        }
        parties: list[tuple[int, str]] = []  # (id, encrypted name) of parties in current consents

        def new_id(target: TableClause) -> int:
            ids[target] += 1
            return ids[target] - 1

        for kind, moment in zip(slots, moments, strict=True):
            day = moment.date()
            if kind in ("note", "note_revised"):
                note_id = new_id(NOTES)
                edits = rng.randrange(1, 4) if kind == "note_revised" else 0
                edited = [min(now, moment + dt.timedelta(hours=6 * step)) for step in range(1, edits + 1)]
                for step in range(edits):
                    rows[REVISIONS].append(
                        {
                            "id": new_id(REVISIONS),
                            "note_id": note_id,
                            "version": step + 1,
                            "text": tokens.pick(tokens.revision),
                            "written_by_id": staff(),
                            "written_at": edited[step - 1] if step else moment,
                        }
                    )
                rows[NOTES].append(
                    {
                        "id": note_id,
                        "case_id": case_id,
                        "text": tokens.pick(tokens.note),
                        "version": edits + 1,
                        "written_by_id": staff(),
                        "written_at": moment,
                        "edited_at": edited[-1] if edited else None,
                    }
                )
            elif kind in ("contact", "referral_contact"):
                on_referral = kind == "referral_contact"
                rows[CONTACTS].append(
                    {
                        "id": new_id(CONTACTS),
                        "referral_id": case.referral_id if on_referral else None,
                        "case_id": None if on_referral else case_id,
                        "occurred_on": (opened - dt.timedelta(days=rng.randrange(1, 10))).date()
                        if on_referral
                        else day,
                        "method": rng.choice(("call", "email", "letter", "meeting")),
                        "direction": rng.choice(("incoming", "outgoing")),
                        "summary": tokens.pick(tokens.summary),
                        "recorded_by_id": staff(),
                        "recorded_at": moment,
                    }
                )
            elif kind in ("consent", "consent_withdrawn"):
                consent_id = new_id(CONSENTS)
                withdrawn = kind == "consent_withdrawn"
                given_by = rng.choice(("parent_carer", "young_person"))
                sought = given_by == "parent_carer" and rng.random() < 0.5
                withdrawn_on = day + (until.date() - day) * rng.random() if withdrawn else None
                rows[CONSENTS].append(
                    {
                        "id": consent_id,
                        "case_id": case_id,
                        "given_by": given_by,
                        "given_on": day,
                        "method": rng.choice(("written", "verbal", "email")),
                        "keeps_contact_information": True,
                        "privacy_notice_version": version,
                        "child_view_sought": True if sought else None,
                        "child_view": tokens.pick(tokens.child_view) if sought else None,
                        "recorded_by_id": staff(),
                        "recorded_at": moment,
                        "withdrawn_on": withdrawn_on,
                        "withdrawn_by": given_by if withdrawn else None,
                        "withdrawn_method": rng.choice(("written", "verbal", "email")) if withdrawn else None,
                        "withdrawal_recorded_by_id": staff() if withdrawn else None,
                    }
                )
                for name in rng.sample(tokens.party, rng.randrange(1, 4)):
                    party_id = new_id(PARTIES)
                    rows[PARTIES].append({"id": party_id, "consent_id": consent_id, "name": name})
                    if not withdrawn:
                        parties.append((party_id, name))
            elif kind == "review":
                rows[REVIEWS].append(
                    {
                        "case_id": case_id,
                        "reviewed_on": day,
                        "outcome": rng.choices(("confirmed", "changed"), weights=(4, 1))[0],
                        "next_due": add_months(day, CONSENT_REVIEW_MONTHS),
                        "recorded_by_id": staff(),
                        "recorded_at": moment,
                    }
                )
            else:
                on_consent = kind == "disclosure_consent" and parties
                party_id, party_name = rng.choice(parties) if on_consent else (None, None)
                rows[DISCLOSURES].append(
                    {
                        "case_id": case_id,
                        "disclosed_on": day,
                        "recipient": party_name if on_consent else tokens.pick(tokens.recipient),
                        "what_was_shared": tokens.pick(tokens.shared),
                        "basis": "consent" if on_consent else "child_protection",
                        "consent_party_id": party_id,
                        "justification": None if on_consent else tokens.pick(tokens.justification),
                        "status": "approved",
                        "decided_by_id": None if on_consent else approved_by,
                        "decided_at": None if on_consent else moment,
                        "recorded_by_id": staff(),
                        "recorded_at": moment,
                    }
                )
        # Referred-to rows first: notes before revisions, consents before parties before disclosures.
        for target in (NOTES, REVISIONS, CONTACTS, CONSENTS, PARTIES, REVIEWS, DISCLOSURES):
            for start in range(0, len(rows[target]), BATCH):
                connection.execute(insert(target), rows[target][start : start + BATCH])
            added.rows[target.name] = len(rows[target])
        _move_sequences(connection, {target.name: ids[target] - 1 for target in ids if rows[target]})
    added.seconds = time.perf_counter() - started
    return added


# Closed records: every referral and case in a span closed, each with a short record, for
# benchmarks that need many roots due for destruction (the retention purge).


def close_referrals(app: Flask, first_id: int, last_id: int, seed: int | None = None) -> int:
    """Close every referral from ``first_id`` to ``last_id`` still open at the clock's moment: an
    open or inactive case closes with an outcome on a day between its opening and today, its
    referral with it; a referral without a case (new, or accepted by ``insert_referrals``, which
    opens none) is declined within 30 days of arriving. Returns how many referrals it closed."""
    rng = random.Random(seed)
    keyring: Keyring = app.extensions["portal_keyring"]
    case_tokens = CaseTokens(keyring, rng)
    decline_reasons = [keyring.encrypt(reason) for reason in DECLINE_REASONS]
    today = clock.london_today()
    cases: list[dict[str, Any]] = []
    declined: list[dict[str, Any]] = []
    with app.app_context(), db.engine.begin() as connection:
        still_open = connection.execute(
            select(REFERRALS.c.id, REFERRALS.c.submitted_at, CASES.c.id, CASES.c.opened_at)
            .select_from(REFERRALS.outerjoin(CASES, CASES.c.referral_id == REFERRALS.c.id))
            .where(
                REFERRALS.c.id.between(first_id, last_id),
                REFERRALS.c.closed_on.is_(None),
            )
        ).all()
        for referral_id, submitted_at, case_id, opened_at in still_open:
            if case_id is None:
                arrived = london_day(_aware(submitted_at))
                closed_on = min(today, arrived + dt.timedelta(days=rng.randrange(1, 30)))
                declined.append({"row": referral_id, "reason": rng.choice(decline_reasons), "closed": closed_on})
                continue
            opened_on = london_day(_aware(opened_at))
            closed_on = opened_on + dt.timedelta(days=rng.randrange(0, max(1, (today - opened_on).days)))
            cases.append(
                {
                    "row": case_id,
                    "closed": closed_on,
                    "closed_moment": dt.datetime.combine(closed_on, dt.time(16, 30), dt.UTC),
                    "closing_outcome": case_tokens.pick(case_tokens.outcome),
                }
            )
        for start in range(0, len(cases), BATCH):
            connection.execute(
                CASES.update()
                .where(CASES.c.id == bindparam("row"))
                .values(
                    status="closed",
                    closed_on=bindparam("closed"),
                    closed_at=bindparam("closed_moment"),
                    outcome=bindparam("closing_outcome"),
                    consent_review_due=None,
                ),
                cases[start : start + BATCH],
            )
        for start in range(0, len(declined), BATCH):
            connection.execute(
                REFERRALS.update()
                .where(REFERRALS.c.id == bindparam("row"))
                .values(status="declined", decline_reason=bindparam("reason"), closed_on=bindparam("closed")),
                declined[start : start + BATCH],
            )
        # An accepted referral closes with its case, on the same day.
        case_closed_on = select(CASES.c.closed_on).where(CASES.c.referral_id == REFERRALS.c.id).scalar_subquery()
        connection.execute(
            REFERRALS.update()
            .where(REFERRALS.c.id.between(first_id, last_id), REFERRALS.c.status == "accepted")
            .values(closed_on=case_closed_on)
        )
    return len(still_open)


def insert_case_records(
    app: Flask, first_case: int, last_case: int, recorded_by: int, seed: int | None = None
) -> Counter[str]:
    """Give every case from ``first_case`` to ``last_case`` a short record: a note with one
    earlier version, a contact on the case and one on its referral before the case opened, a
    consent naming two third parties, a consent review and a disclosure on that consent to one of
    them, dated between the case's opening and its closing (or now). All in one transaction, in
    batches (``insert_timeline`` gives one case a long timeline, a transaction each). Returns the
    rows written, by table."""
    rng = random.Random(seed)
    keyring: Keyring = app.extensions["portal_keyring"]
    tokens = CaseTokens(keyring, rng)
    now = clock.now()
    written: Counter[str] = Counter()
    with app.app_context(), db.engine.begin() as connection:
        version = connection.scalar(
            select(PrivacyNoticeVersion.version).order_by(PrivacyNoticeVersion.published_on.desc()).limit(1)
        )
        ids = {target: _next_id(connection, target) for target in (NOTES, CONSENTS, PARTIES)}
        cases = connection.execute(
            select(CASES.c.id, CASES.c.referral_id, CASES.c.opened_at, CASES.c.closed_on)
            .where(CASES.c.id.between(first_case, last_case))
            .order_by(CASES.c.id)
        ).all()
        rows: dict[TableClause, list[dict[str, Any]]] = {
            target: [] for target in (NOTES, REVISIONS, CONTACTS, CONSENTS, PARTIES, REVIEWS, DISCLOSURES)
        }

        def flush() -> None:
            # Referred-to rows first: notes before revisions, consents before parties before disclosures.
            for target, batch in rows.items():
                if batch:
                    connection.execute(insert(target), batch)
                    written[target.name] += len(batch)
                    rows[target] = []

        for case_id, referral_id, opened_at, closed_on in cases:
            opened = _aware(opened_at)
            until = dt.datetime.combine(closed_on, dt.time(12), dt.UTC) if closed_on else now
            consented, noted, contacted, disclosed = sorted(opened + (until - opened) * rng.random() for _ in range(4))
            note_id, consent_id, party_id = ids[NOTES], ids[CONSENTS], ids[PARTIES]
            ids[NOTES] += 1
            ids[CONSENTS] += 1
            ids[PARTIES] += 2
            rows[NOTES].append(
                {
                    "id": note_id,
                    "case_id": case_id,
                    "text": tokens.pick(tokens.note),
                    "version": 2,
                    "written_by_id": recorded_by,
                    "written_at": noted,
                    "edited_at": noted + dt.timedelta(hours=6),
                }
            )
            rows[REVISIONS].append(
                {
                    "note_id": note_id,
                    "version": 1,
                    "text": tokens.pick(tokens.revision),
                    "written_by_id": recorded_by,
                    "written_at": noted,
                }
            )
            contact = {"method": "call", "direction": "outgoing", "recorded_by_id": recorded_by}
            rows[CONTACTS].append(
                {
                    **contact,
                    "referral_id": referral_id,
                    "case_id": None,
                    "occurred_on": (opened - dt.timedelta(days=1)).date(),
                    "summary": tokens.pick(tokens.summary),
                    "recorded_at": opened - dt.timedelta(days=1),
                }
            )
            rows[CONTACTS].append(
                {
                    **contact,
                    "referral_id": None,
                    "case_id": case_id,
                    "occurred_on": contacted.date(),
                    "summary": tokens.pick(tokens.summary),
                    "recorded_at": contacted,
                }
            )
            rows[CONSENTS].append(
                {
                    "id": consent_id,
                    "case_id": case_id,
                    "given_by": "parent_carer",
                    "given_on": consented.date(),
                    "method": "written",
                    "keeps_contact_information": True,
                    "privacy_notice_version": version,
                    "child_view_sought": None,
                    "child_view": None,
                    "recorded_by_id": recorded_by,
                    "recorded_at": consented,
                    "withdrawn_on": None,
                    "withdrawn_by": None,
                    "withdrawn_method": None,
                    "withdrawal_recorded_by_id": None,
                }
            )
            names = rng.sample(tokens.party, 2)
            for offset, name in enumerate(names):
                rows[PARTIES].append({"id": party_id + offset, "consent_id": consent_id, "name": name})
            rows[REVIEWS].append(
                {
                    "case_id": case_id,
                    "reviewed_on": consented.date(),
                    "outcome": "confirmed",
                    "next_due": add_months(consented.date(), CONSENT_REVIEW_MONTHS),
                    "recorded_by_id": recorded_by,
                    "recorded_at": consented,
                }
            )
            rows[DISCLOSURES].append(
                {
                    "case_id": case_id,
                    "disclosed_on": disclosed.date(),
                    "recipient": names[0],
                    "what_was_shared": tokens.pick(tokens.shared),
                    "basis": "consent",
                    "consent_party_id": party_id,
                    "justification": None,
                    "status": "approved",
                    "decided_by_id": None,
                    "decided_at": None,
                    "recorded_by_id": recorded_by,
                    "recorded_at": disclosed,
                }
            )
            if len(rows[NOTES]) >= BATCH // 2:
                flush()
        flush()
        _move_sequences(connection, {target.name: ids[target] - 1 for target in ids if written[target.name]})
    return written
