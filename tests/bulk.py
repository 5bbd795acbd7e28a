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
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Table, column, func, insert, select, table, text
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.types import Text

from portal.crypto import EncryptedDate, EncryptedText, Keyring, normalise_email
from portal.extensions import db
from portal.models.referrals import ConsentAttestation, Person, PrivacyNoticeVersion, Referral
from portal.services import references
from portal.services.consent import ATTESTATION_STATEMENT

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

        today = dt.date.today()
        self.child_name = encrypted(names())
        self.parent_name = encrypted(names())
        self.referrer_name = encrypted(names())
        self.date_of_birth = encrypted(
            [(today - dt.timedelta(days=rng.randrange(2 * 365, 24 * 365))).isoformat() for _ in range(VARIANTS)]
        )
        emails = [f"family{number}@example.com" for number in range(VARIANTS)]
        self.email = encrypted(emails)
        self.email_hash = [keyring.lookup_hash(normalise_email(email)) for email in emails]
        referrer_emails = [f"referrer{number}@school.example.org" for number in range(VARIANTS)]
        self.referrer_email = encrypted(referrer_emails)
        self.referrer_email_hash = [keyring.lookup_hash(normalise_email(email)) for email in referrer_emails]
        self.phone = encrypted([f"07700 900{number:03d}" for number in range(VARIANTS)])
        self.referrer_phone = encrypted([f"01632 960{number:03d}" for number in range(VARIANTS)])
        self.address = encrypted([f"{number + 1} Example Street\nBath" for number in range(VARIANTS)])
        self.postcode = encrypted([f"BA1 {number % 10}AA" for number in range(VARIANTS)])
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
        status = rng.choices(("new", "accepted", "declined"), weights=(3, 72, 25))[0]
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
    now = dt.datetime.now(dt.UTC)

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
            closed_at = None
            if status == "declined":
                closed_at = min(now, submitted_at + dt.timedelta(days=rng.randrange(1, 30)))
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
                    "closed_at": closed_at,
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
            }
            if contact["address"]:
                contact["postcode"] = token(tokens.postcode)
            blank = dict.fromkeys(("email", "email_hash", "phone", "address", "postcode"))
            person = {"referral_id": referral_id, "date_of_birth": None, "organisation": None, "job_title": None}
            rows[PEOPLE].append(
                {
                    **person,
                    **(blank if parent else contact),
                    "role": "child",
                    "full_name": token(tokens.child_name),
                    "date_of_birth": token(tokens.date_of_birth),
                }
            )
            people += 1
            if parent:
                rows[PEOPLE].append(
                    {**person, **contact, "role": "parent_carer", "full_name": token(tokens.parent_name)}
                )
                people += 1
            if route == "professional":
                referrer = rng.randrange(VARIANTS)
                rows[PEOPLE].append(
                    {
                        **person,
                        "role": "referrer",
                        "full_name": tokens.referrer_name[referrer],
                        "organisation": tokens.organisation[referrer],
                        "job_title": tokens.job_title[referrer],
                        "email": tokens.referrer_email[referrer],
                        "email_hash": tokens.referrer_email_hash[referrer],
                        "phone": tokens.referrer_phone[referrer],
                        "address": None,
                        "postcode": None,
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
