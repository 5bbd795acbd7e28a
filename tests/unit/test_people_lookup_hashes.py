"""The keyed look-up hashes of each person's name, date of birth and postcode stay true to what is
stored, whoever writes it, and migration 0017 made them for the people stored before it."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from portal.crypto import keyring
from portal.extensions import db
from portal.models import Person
from portal.models.referrals import PERSON_LOOKUP_HASHES, person_lookup_keys
from portal.services import clock, demo
from portal.services.audit import system_actor
from tests.conftest import build_app
from tests.factories import submit_referral


def expected(person: Person) -> dict[str, str | None]:
    ring = keyring()
    keys = person_lookup_keys(person.full_name, person.date_of_birth, person.postcode)
    return {column: ring.lookup_hash(key) if key else None for column, key in keys.items()}


def stored(person: Person) -> dict[str, str | None]:
    return {column: getattr(person, column) for column in PERSON_LOOKUP_HASHES}


def test_names_and_postcodes_are_normalised_once_for_every_look_up():
    assert person_lookup_keys("Ann-Marie  O'Neil", None, " ba1 1aa")["name_hash"] == "annmarieoneil"
    assert person_lookup_keys("Ann-Marie  O'Neil", None, " ba1 1aa")["postcode_hash"] == "BA11AA"
    assert person_lookup_keys("Ann", None, "")["postcode_hash"] is None


def test_changing_a_postcode_changes_its_look_up_hash(app):
    made = submit_referral(app, "self")
    with app.app_context():
        parent = db.session.scalars(
            select(Person).where(Person.referral_id == made.id, Person.role == "parent_carer")
        ).one()
        before = parent.postcode_hash
        assert stored(parent) == expected(parent) and before
        parent.postcode = "BS1 4DJ"
        db.session.commit()
        assert parent.postcode_hash != before and stored(parent) == expected(parent)


def test_migration_0017_hashes_the_people_stored_before_it(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'before_0017.sqlite'}")
    with app.app_context():
        upgrade()
        demo.seed(system_actor(clock.now()))
        # Going back to 0016 drops the columns, so whatever they hold after the upgrade, the
        # migration wrote (reading the rows through the ORM afterwards writes nothing).
        downgrade(revision="0016")
        upgrade()
        people = db.session.scalars(select(Person)).all()
        assert people and all(person.name_hash for person in people)
        assert any(person.birth_date_hash for person in people)
        assert all(stored(person) == expected(person) for person in people)
        db.session.remove()
        db.engine.dispose()
