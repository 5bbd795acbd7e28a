"""Migration 0009 on rows stored at 0008: a declined referral closes on its decline's London date
(across midnight BST), an accepted one on its closed case's date; each referral gets its child's age
band on the day of referral from the encrypted date of birth; a case's topic and level labels become
codes (unknown topics "other", unknown levels none); and going back puts the labels, a declined
referral's moment and, for a family who withdrew, a status the older schema knows. On whichever
database the suite runs (CI's third pass: PostgreSQL)."""

import datetime as dt
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from flask import Flask

from portal.crypto import keyring
from portal.extensions import db
from tests.conftest import WORKER, build_app, reset_schema, worker_database

BEFORE = "0008"
SUBMITTED = dt.datetime(2026, 7, 14, 8, 0, tzinfo=dt.UTC)  # 9 o'clock in London (BST)
# Half past midnight on 15 July in London, still 14 July in UTC.
DECLINED_AT = dt.datetime(2026, 7, 14, 23, 30, tzinfo=dt.UTC)


@pytest.fixture
def migration_app(tmp_path) -> Iterator[Flask]:
    """A database of its own, migrated to the revision before closure dates and codes."""
    url = os.environ.get("DATABASE_URL")
    url = worker_database(url, f"{WORKER or 'main'}_codes") if url else f"sqlite:///{tmp_path / 'codes.sqlite'}"
    app = build_app(url)
    reset_schema(app)
    with app.app_context():
        migrate(app, "downgrade", BEFORE)
        yield app
        db.session.remove()
        db.engine.dispose()


def migrate(app: Flask, direction: str, revision: str) -> None:
    getattr(command, direction)(app.extensions["migrate"].migrate.get_config(), revision)


def insert(connection: sa.Connection, table: str, **values: object) -> None:
    """A row as the older schema stores it; moments and dates typed, so each database gets its own form."""

    def typed(name: str, value: object) -> sa.ColumnClause:
        if isinstance(value, dt.datetime):
            return sa.column(name, sa.DateTime(timezone=True))
        if isinstance(value, dt.date):
            return sa.column(name, sa.Date)
        return sa.column(name)

    connection.execute(sa.table(table, *(typed(name, value) for name, value in values.items())).insert(), [values])


def store_rows_at_0008(connection: sa.Connection) -> None:
    insert(
        connection, "privacy_notice_versions", version="t-1", published_on=dt.date(2026, 1, 1), content_sha256="0" * 64
    )
    insert(
        connection,
        "staff_users",
        id=1,
        email="s1",
        email_hash="h1",
        name="Caseworker",
        password_hash="x",
        roles="caseworker",
        active=True,
        created_at=SUBMITTED,
    )
    ring = keyring()
    # referral id: (status, closed_at, child's date of birth)
    referrals = {
        1: ("declined", DECLINED_AT, dt.date(2021, 7, 15)),  # 5 tomorrow
        2: ("accepted", None, dt.date(2021, 7, 14)),  # 5 today
        3: ("accepted", None, None),
        4: ("new", None, dt.date(1990, 1, 1)),
        5: ("accepted", None, dt.date(2010, 7, 14)),
    }
    for referral_id, (status, closed_at, born) in referrals.items():
        insert(
            connection,
            "referrals",
            id=referral_id,
            reference=ring.encrypt(f"SPS-{referral_id}"),
            reference_hash=f"r{referral_id}",
            submission_key_hash=f"k{referral_id}",
            route="self",
            completed_by="parent_carer",
            status=status,
            decline_reason=ring.encrypt("Out of area") if status == "declined" else None,
            closed_at=closed_at,
            school_or_setting=ring.encrypt("s"),
            needs=ring.encrypt("n"),
            preferred_contact="email",
            privacy_notice_version="t-1",
            privacy_agreed_at=SUBMITTED,
            submitted_at=SUBMITTED,
        )
        insert(
            connection,
            "people",
            referral_id=referral_id,
            role="child",
            full_name=ring.encrypt("A Child"),
            date_of_birth=ring.encrypt(born.isoformat()) if born else None,
        )
    # case id: (referral, closed on, category, level)
    cases = {
        1: (2, dt.date(2026, 8, 1), "Education", "Level 2: advice and guidance"),
        2: (3, None, "  ehc PLAN ", "Level 3: our own wording"),
        3: (5, None, "Knitting", "Custom level"),
    }
    for case_id, (referral_id, closed_on, category, level) in cases.items():
        insert(
            connection,
            "cases",
            id=case_id,
            referral_id=referral_id,
            status="closed" if closed_on else "open",
            opened_at=SUBMITTED,
            opened_by_id=1,
            version=1,
            closed_on=closed_on,
            outcome=ring.encrypt("Advice given") if closed_on else None,
            category=category,
            intervention_level=level,
        )


def rows(query: str) -> list[tuple[str | None, ...]]:
    """Every value as text, so SQLite's and PostgreSQL's dates compare alike."""
    with db.engine.connect() as connection:
        return [
            tuple(None if value is None else str(value) for value in row) for row in connection.execute(sa.text(query))
        ]


def as_utc(moment: dt.datetime | str) -> dt.datetime:
    """A moment read back untyped: SQLite's text is UTC without a zone, PostgreSQL's has one."""
    moment = dt.datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def test_the_upgrade_fills_closing_dates_age_bands_and_codes_and_the_downgrade_puts_them_back(migration_app):
    with db.engine.begin() as connection:
        store_rows_at_0008(connection)

    migrate(migration_app, "upgrade", "0009")

    assert rows("SELECT id, status, closed_on, child_age_band FROM referrals ORDER BY id") == [
        ("1", "declined", "2026-07-15", "0-4"),
        ("2", "accepted", "2026-08-01", "5-10"),
        ("3", "accepted", None, None),
        ("4", "new", None, "over-25"),
        ("5", "accepted", None, "16-19"),
    ]
    assert rows("SELECT id, topic, intervention_level FROM cases ORDER BY id") == [
        ("1", "education", "level_2"),
        ("2", "ehc_plan", "level_3"),
        ("3", "other", None),
    ]

    # A family who withdrew, stored under the new schema, for the way back.
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE referrals SET status = 'withdrawn', closed_on = :day, withdrawal_method = 'phone' WHERE id = 4"
            ),
            {"day": dt.date(2026, 7, 20)},
        )
    migrate(migration_app, "downgrade", BEFORE)

    assert rows("SELECT id, category, intervention_level FROM cases ORDER BY id") == [
        ("1", "Education", "Level 2: advice and guidance"),
        ("2", "EHC plan", "Level 3: casework"),
        ("3", "Other", None),
    ]
    with db.engine.connect() as connection:
        back = connection.execute(
            sa.text("SELECT id, status, closed_at, decline_reason FROM referrals ORDER BY id")
        ).all()
    assert [(row.id, row.status) for row in back] == [
        (1, "declined"),
        (2, "accepted"),
        (3, "accepted"),
        (4, "declined"),
        (5, "accepted"),
    ]
    assert as_utc(back[0].closed_at) == dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)
    assert keyring().decrypt(back[3].decline_reason) == "The family withdrew."
