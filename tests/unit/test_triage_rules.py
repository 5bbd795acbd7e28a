"""Triage's rules without HTTP: no case before the family's consent is on record, and a family's
records go only to someone who may see them (active, training in date and, for a volunteer, the
current Volunteer Agreement signed)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.extensions import db
from portal.models import Case, StaffUser
from portal.services import clock, triage
from portal.services.audit import Actor
from portal.services.clock import add_months
from portal.services.demo import _keyed_in_without_attestation
from portal.services.triage import AssignmentRefused, TriageError
from tests.clock import clock_on
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

TODAY = dt.date(2026, 11, 25)
clock_on_today = clock_on(TODAY)


def actor(user: StaffUser) -> Actor:
    return Actor(user.id, "192.0.2.5", clock.now())


def stored(user: StaffUser) -> StaffUser:
    return db.session.get(StaffUser, user.id)


def test_a_professional_referral_without_consent_cannot_be_accepted(app, app_context):
    caseworker = make_staff(app, "caseworker")
    unattested = _keyed_in_without_attestation("1.0", actor(caseworker))

    assert triage.awaits_attestation(unattested)
    with pytest.raises(TriageError, match="Record the consent attestation before accepting"):
        triage.accept(unattested, actor(caseworker), TODAY, 6)

    assert unattested.status == "new"
    assert db.session.scalar(db.select(Case).where(Case.referral_id == unattested.id)) is None


def test_only_people_who_may_see_the_family_may_be_given_it(app, app_context):
    valid_months = app.config["TRAINING_VALID_MONTHS"]
    cleared = {role: stored(make_staff(app, role)) for role in ("caseworker", "volunteer")}
    unsigned = stored(make_staff(app, "volunteer", agreement=False))
    untrained = stored(make_staff(app, "caseworker", trained=False))
    manager = stored(make_staff(app, "manager"))
    inactive = stored(make_staff(app, "caseworker"))
    inactive.active = False

    assert all(triage.may_be_assigned(user, TODAY) for user in cleared.values())
    for user in (unsigned, untrained, manager, inactive):
        assert not triage.may_be_assigned(user, TODAY), user.name
    # Training lapses on the day it expires, for assignment as for access.
    expires = add_months(TODAY, valid_months)
    assert not triage.may_be_assigned(cleared["caseworker"], expires)
    assert triage.may_be_assigned(cleared["caseworker"], expires - dt.timedelta(days=1))
    assert triage.assignable_staff(TODAY) == sorted(cleared.values(), key=lambda user: user.name.casefold())
    assert triage.assignable_staff(expires) == []


def test_assigning_to_someone_whose_access_is_paused_is_refused(app, app_context):
    manager = make_staff(app, "manager")
    untrained = make_staff(app, "volunteer", trained=False)
    submit_referral(app, "self", self_referral_answers())
    referral = db.session.scalars(db.select(triage.Referral)).one()

    with pytest.raises(AssignmentRefused) as refused:
        triage.assign(referral, untrained.id, actor(manager))

    assert "confidentiality training is in date" in refused.value.problems["assignee"]
    assert referral.assigned_to_id is None
