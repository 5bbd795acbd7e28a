"""Every back-office route names its capability, and the declaration is what is enforced.

Two tables below are the contract, written out independently of the code: which capabilities each
role holds (design section 5), and which roles reach each route. A new /staff/ route that is not
added to the second fails the first test, and each route is then tried anonymously (sent to sign
in), by every role outside its list (403) and by every role inside it (not 403, not an error).
"""

import datetime as dt
import secrets

import pytest

from portal.extensions import db
from portal.models import Job, Referral
from portal.services import casework, clock, disclosures, holds, requests, subject_access, triage
from portal.services.audit import Actor
from portal.services.consent import CaseConsent, record_case_consent
from portal.services.requests import FoiAnswers, Requester, SubjectAccessAnswers
from portal.services.roles import CAPABILITIES, ROLES
from portal.staff.access import SIGN_IN
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import csrf_token, make_staff, sign_in

CAPABILITIES_OF_ROLE = {
    "volunteer": {"use_back_office", "work_on_assigned", "be_assigned", "sign_volunteer_agreement"},
    "caseworker": {
        "use_back_office",
        "work_on_assigned",
        "read_casework",
        "decide_casework",
        "be_assigned",
        "list_disclosures",
        "download_personal_data",
    },
    "manager": {
        "use_back_office",
        "work_on_assigned",
        "read_casework",
        "decide_casework",
        "oversee_casework",
        "approve_disclosure",
        "list_disclosures",
        "handle_foi",
        "read_audit_log",
        "read_statistics",
        "read_retention",
        "hold_records",
        "read_feedback_comments",
        "manage_accounts",
        "download_personal_data",
    },
    "dpo": {
        "use_back_office",
        "list_disclosures",
        "handle_sar",
        "handle_complaints",
        "read_audit_log",
        "read_statistics",
        "read_retention",
        "hold_records",
        "check_due_records",
        "download_personal_data",
    },
    "admin": {"use_back_office", "manage_accounts", "download_personal_data"},
}

ANY = frozenset(ROLES)
TRIAGE = frozenset({"volunteer", "caseworker", "manager"})
DECIDERS = frozenset({"caseworker", "manager"})
ADMINS = frozenset({"admin", "manager"})
HANDLERS = frozenset({"dpo", "manager"})
DPO = frozenset({"dpo"})
EXPECTED = {
    "staff_auth.login": SIGN_IN,
    "staff_auth.second_factor": SIGN_IN,
    "staff_auth.set_up_needed": SIGN_IN,
    "staff_auth.set_up_password": SIGN_IN,
    "staff_auth.set_up_authenticator": SIGN_IN,
    "staff_auth.set_up_done": SIGN_IN,
    "staff_auth.recovery_codes": ANY,
    "staff_auth.logout": ANY,
    "staff_auth.account": ANY,
    "staff_auth.change_password": ANY,
    "staff_auth.change_second_factor": ANY,
    "staff_triage.dashboard": ANY,
    "staff_triage.referrals": TRIAGE,
    "staff_triage.email_search": TRIAGE,
    "staff_triage.person_search": TRIAGE,
    "staff_triage.referral": TRIAGE,
    "staff_triage.log_contact": TRIAGE,
    "staff_triage.assign": DECIDERS,
    "staff_triage.accept": DECIDERS,
    "staff_triage.decline": DECIDERS,
    "staff_triage.withdraw": DECIDERS,
    "staff_triage.record_attestation": DECIDERS,
    "staff_cases.cases": TRIAGE,
    "staff_cases.case_person_search": TRIAGE,
    "staff_cases.case": TRIAGE,
    "staff_cases.timeline": TRIAGE,
    "staff_cases.consent_and_disclosures": TRIAGE,
    "staff_cases.print_summary": DECIDERS,
    "staff_cases.add_note": TRIAGE,
    "staff_cases.edit_note": TRIAGE,
    "staff_cases.log_contact": TRIAGE,
    "staff_cases.details": DECIDERS,
    "staff_cases.assign": DECIDERS,
    "staff_cases.record_consent": DECIDERS,
    "staff_cases.withdraw": DECIDERS,
    "staff_cases.review": DECIDERS,
    "staff_cases.disclose": DECIDERS,
    "staff_cases.disclose_with_consent": DECIDERS,
    "staff_cases.disclose_without_consent": DECIDERS,
    "staff_cases.disclosure_list": frozenset({"caseworker", "manager", "dpo"}),
    "staff_cases.disclosures_awaiting_approval": frozenset({"manager"}),
    "staff_cases.disclosure_decision": frozenset({"manager"}),
    "staff_cases.decide_disclosure": frozenset({"manager"}),
    "staff_cases.close": DECIDERS,
    "staff_cases.confirm_close": DECIDERS,
    "staff_cases.reopen": DECIDERS,
    "staff_cases.send_feedback_link": DECIDERS,
    "staff_feedback.comments": frozenset({"manager"}),
    "staff_admin.users": ADMINS,
    "staff_admin.new_user": ADMINS,
    "staff_admin.user": ADMINS,
    "staff_admin.change_roles": ADMINS,
    "staff_admin.set_active": ADMINS,
    "staff_admin.confirm_deactivation": ADMINS,
    "staff_admin.send_set_up_link": ADMINS,
    "staff_admin.reset_mfa": ADMINS,
    "staff_admin.record_training": ADMINS,
    "staff_admin.record_agreement": ADMINS,
    "staff_audit.audit_log": frozenset({"manager", "dpo"}),
    "staff_reports.reports": frozenset({"manager", "dpo"}),
    "staff_reports.statistics_csv": frozenset({"manager", "dpo"}),
    "staff_reports.annual_report": frozenset({"manager", "dpo"}),
    "staff_jobs.progress": frozenset({"manager", "dpo"}),
    "staff_jobs.download": frozenset({"manager", "dpo"}),
    "staff_reports.freeze_confirmation": frozenset({"manager", "dpo"}),
    "staff_reports.freeze": frozenset({"manager", "dpo"}),
    "staff_requests.queue": HANDLERS,
    "staff_requests.detail": HANDLERS,
    "staff_requests.identity": DPO,
    "staff_requests.clock": HANDLERS,
    "staff_requests.extension": DPO,
    "staff_requests.public_interest_extension": frozenset({"manager"}),
    "staff_requests.child_confirmation": DPO,
    "staff_requests.records": DPO,
    "staff_requests.choose_records": DPO,
    "staff_requests.add_withheld_name": DPO,
    "staff_requests.remove_withheld_name": DPO,
    "staff_requests.response_pdf": DPO,
    "staff_requests.acknowledge": DPO,
    "staff_requests.close": HANDLERS,
    "staff_retention.overview": HANDLERS,
    "staff_retention.hold_referral": HANDLERS,
    "staff_retention.hold_case": HANDLERS,
    "staff_retention.hold_request": HANDLERS,
    "staff_retention.lift_hold": HANDLERS,
}


# Pages that belong to a step (new recovery codes, a new authenticator half set up) and send the
# person on when there is no such step under way.
NOTHING_TO_SHOW_YET = {"staff_auth.recovery_codes", "staff_auth.change_second_factor"}


def staff_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")]


def test_each_role_holds_the_capabilities_of_design_section_5():
    held = {role: {name for name, (_, roles) in CAPABILITIES.items() if role in roles} for role in ROLES}
    assert held == CAPABILITIES_OF_ROLE
    assert all(description for description, _ in CAPABILITIES.values())


def test_no_role_both_administers_accounts_and_handles_subject_access():
    # Separation of duties: whoever can grant roles must not also read the data protection work.
    for role, capabilities in CAPABILITIES_OF_ROLE.items():
        assert not {"manage_accounts", "handle_sar"} <= capabilities, role


def test_every_staff_route_is_in_the_table_with_its_declared_roles(app):
    declared = {
        rule.endpoint: getattr(app.view_functions[rule.endpoint], "allowed_roles", None) for rule in staff_rules(app)
    }
    assert set(declared) == set(EXPECTED), "add the new route to EXPECTED with the roles it allows"
    for endpoint, roles in declared.items():
        assert roles == EXPECTED[endpoint], f"{endpoint} allows {roles}, the table says {EXPECTED[endpoint]}"


@pytest.fixture
def world(app):
    """One account per role; a referral, and the case opened from it, assigned to the volunteer,
    with a note and a consent on the case and a hold on the referral; and a spare account to act on."""
    users = {role: make_staff(app, role) for role in ROLES}
    target = make_staff(app, "caseworker", name="Target Person")
    submit_referral(app, "self", self_referral_answers())
    with app.app_context():
        referral = db.session.scalars(db.select(Referral)).one()
        referral.assigned_to_id = users["volunteer"].id
        db.session.commit()
        caseworker = Actor(users["caseworker"].id, "192.0.2.9", clock.now())
        today = caseworker.today
        case = triage.accept(referral, caseworker, today, 6)
        note = casework.add_note(case, "Called mum.", caseworker)
        consent = record_case_consent(
            case,
            CaseConsent("parent_carer", today, "verbal", True, ["Riverside Primary School"], False),
            None,
            caseworker,
            today,
            6,
        )
        # Recorded by the caseworker, so the manager is a second person who may decide it.
        pending = disclosures.record_disclosure(
            case,
            disclosures.DisclosureRequest(
                today, "Concerns", "child_protection", recipient="Children's services", justification="Harm"
            ),
            caseworker,
            today,
        )
        mailer = app.extensions["portal_mailer"]
        requester = Requester("Zoë Ó Briain-Nakamura", "zoe.family@example.com", None, None, None, "email")
        sar = requests.submit_subject_access(
            SubjectAccessAnswers("self", requester, None, None, None, dt.date(1990, 1, 1), None, "All", "documents"),
            True,
            "sar",
            mailer,
            caseworker.at,
        )
        subject_access.add_withheld_name(sar, "Priya Raman", Actor(users["dpo"].id, "192.0.2.9", caseworker.at))
        dpo = Actor(users["dpo"].id, "192.0.2.9", caseworker.at)
        hold = holds.place(referral, "ico_complaint", "ICO case IC-1.", today + dt.timedelta(days=30), dpo)
        foi = requests.submit_foi(FoiAnswers(requester, "How many referrals?"), "foi", mailer, caseworker.at)
        tokens = {role: secrets.token_urlsafe(32) for role in ("manager", "dpo")}
        values = {
            "referral_id": referral.id,
            "case_id": case.id,
            "note_id": note.id,
            "consent_id": consent.id,
            "disclosure_id": pending.id,
            "user_id": target.id,
            "request_id": sar.id,
            "name_id": sar.withheld_names[0].id,
            "hold_id": hold.id,
            "token": tokens["dpo"],
        }
        foi_id = foi.id
        # A job each for the two roles that make them, left waiting (no worker is given them).
        for role, token in tokens.items():
            db.session.add(
                Job(
                    token=token,
                    kind="annual_report",
                    requested_by_id=users[role].id,
                    academic_year="2026-27",
                    status="queued",
                    step="waiting",
                    created_at=caseworker.at,
                )
            )
        db.session.commit()
    # Each handler reaches the kind of request they handle; the other kind is not theirs (404). A
    # job is seen only by whoever made it.
    own_values = {"manager": {"request_id": foi_id, "token": tokens["manager"]}, "dpo": {"token": tokens["dpo"]}}
    return users, values, own_values


def url_for_rule(rule, values):
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", str(values[name])).replace(f"<{name}>", str(values[name]))
    return path


def test_anonymous_visitors_are_sent_to_sign_in(app, client, world):
    _, values, _ = world
    for rule in staff_rules(app):
        if EXPECTED[rule.endpoint] == SIGN_IN:
            continue
        path = url_for_rule(rule, values)
        if "GET" in rule.methods:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/staff/login"), path


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_says(app, world, role):
    users, values, own_values = world
    values = values | own_values.get(role, {})
    browser = app.test_client()
    sign_in(browser, app, users[role])
    token = csrf_token(browser)
    for rule in staff_rules(app):
        allowed = EXPECTED[rule.endpoint]
        if allowed == SIGN_IN or rule.endpoint == "staff_auth.logout":
            continue
        path = url_for_rule(rule, values)
        response = browser.get(path) if "GET" in rule.methods else browser.post(path, data={"csrf_token": token})
        if role in allowed:
            assert response.status_code != 403 and response.status_code < 500, (path, response.status_code)
            if "GET" in rule.methods and rule.endpoint not in NOTHING_TO_SHOW_YET:
                assert response.status_code == 200, (path, response.status_code)
        else:
            assert response.status_code == 403, (path, role, response.status_code)
