"""The current privacy notice, kept per process for ``NOTICE_KEPT_FOR`` by the portal's clock
(``portal.services.consent``): a version published through this process shows at once, one
published elsewhere (another process, a migration) within that time. And SQLite's planner
statistics, made after migrations (``migrations/env.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.models import PrivacyNoticeVersion
from portal.services.consent import NOTICE_KEPT_FOR, current_privacy_notice
from tests.clock import london

STARTED = london(dt.date(2027, 2, 1))
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def later_version(app_context) -> Iterator[str]:
    """A version 9.9 to publish (privacy notice versions outlive every test, so it goes again)."""
    yield "9.9"
    db.session.rollback()
    published = db.session.get(PrivacyNoticeVersion, "9.9")
    if published is not None:
        db.session.delete(published)  # through the session, so no process keeps it either
        db.session.commit()


def publish_elsewhere(version: str) -> None:
    """A version written as another process (or a migration) writes it: not through this session."""
    with db.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO privacy_notice_versions (version, published_on, content_sha256) VALUES (:v, :on, :sha)"),
            {"v": version, "on": dt.date(2027, 1, 31), "sha": "0" * 64},
        )


def test_a_version_published_elsewhere_shows_within_the_time_the_notice_is_kept(later_version, time_machine):
    time_machine.move_to(STARTED, tick=False)
    assert current_privacy_notice().version == "1.0"
    publish_elsewhere(later_version)
    time_machine.move_to(STARTED + NOTICE_KEPT_FOR - SECOND, tick=False)
    assert current_privacy_notice().version == "1.0", "kept: read again only once the time is up"
    time_machine.move_to(STARTED + NOTICE_KEPT_FOR, tick=False)
    assert current_privacy_notice().version == later_version


def test_a_version_published_through_this_process_shows_at_once(later_version, time_machine):
    time_machine.move_to(STARTED, tick=False)
    assert current_privacy_notice().version == "1.0"
    db.session.add(
        PrivacyNoticeVersion(version=later_version, published_on=dt.date(2027, 1, 31), content_sha256="0" * 64)
    )
    db.session.flush()
    assert current_privacy_notice().version == "1.0", "not before the version is committed"
    db.session.commit()
    assert current_privacy_notice().version == later_version


def test_a_clock_moved_back_reads_the_notice_again(later_version, time_machine):
    time_machine.move_to(STARTED, tick=False)
    assert current_privacy_notice().version == "1.0"
    publish_elsewhere(later_version)
    time_machine.move_to(STARTED - dt.timedelta(days=1), tick=False)
    assert current_privacy_notice().version == later_version


def test_the_notice_outlives_the_session_it_was_read_in(app_context, time_machine):
    time_machine.move_to(STARTED, tick=False)
    notice = current_privacy_notice()
    db.session.remove()
    assert (notice.version, notice.published_on) == ("1.0", dt.date(2026, 11, 25))
    assert current_privacy_notice() == notice


def test_migrations_leave_sqlite_planner_statistics(app_context):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum analyses by itself")
    statistics = db.session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
    assert statistics == 1
