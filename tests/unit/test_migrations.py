"""The models and the migrations agree (what `flask db check` asks), on whichever database the suite
runs: the session fixture has just built it from the migrations alone."""

from flask_migrate import check


def test_models_match_the_migrations(app_context):
    # As the command does, on a difference (a migration missing) this logs it and exits with
    # status 1: the SystemExit fails the test.
    check()


def test_rebuilding_a_parent_table_on_sqlite_keeps_the_rows_that_refer_to_it(tmp_path):
    """SQLite alters a table by rebuilding it; with foreign keys on, dropping the old table would
    cascade to its children (here: a subject access request's clock events, when 0005 is undone
    and done again). migrations/env.py turns them off while migrations run."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import RequestClockEvent
    from portal.services import clock, demo
    from portal.services.audit import system_actor
    from tests.conftest import build_app

    app = build_app(f"sqlite:///{tmp_path / 'populated.sqlite'}")
    with app.app_context():
        upgrade()
        demo.seed(system_actor(clock.now()))
        events = db.session.scalar(select(func.count()).select_from(RequestClockEvent))
        db.session.remove()
        downgrade(revision="0004")
        upgrade()
        assert events and db.session.scalar(select(func.count()).select_from(RequestClockEvent)) == events
        db.engine.dispose()
