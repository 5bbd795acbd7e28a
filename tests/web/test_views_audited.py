"""Every view of personal data is audited, error paths included (design rule 10).

The walk below takes the route table of ``test_staff_roles`` and its world (a referral and its
case assigned to the volunteer, with a note and a consent; a subject access request with a withheld
name; an FOI request), and sorts every /staff/ route into the pages that show personal data and the
ones that do not, each exception with its reason. A page that shows personal data is tried in each
state it can be drawn in: looked at (GET, 200), redrawn after a refused form (an empty POST, 400),
and, for edits, after a colleague saved first (409). Each response must write an audit entry of
its own, by the person who got it; a look writes exactly one. A new route fails the first test
until it is sorted here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import func, select

from portal.crypto import keyring, normalise_email
from portal.extensions import db
from portal.models.audit import AuditEntry
from portal.services.audit_actions import AUDIT_ACTIONS
from tests.journeys import self_referral_answers
from tests.staff import csrf_token, sign_in
from tests.web import test_staff_roles
from tests.web.test_staff_roles import EXPECTED, staff_rules, url_for_rule

world = test_staff_roles.world  # the role table's fixture, used here as it is

# Pages with personal data, opened by the role named (the volunteer for what is assigned to them).
LOOKS = {
    "staff_triage.referral": "volunteer",
    "staff_cases.case": "volunteer",
    "staff_cases.timeline": "volunteer",
    "staff_cases.consent_and_disclosures": "volunteer",
    "staff_cases.print_summary": "caseworker",
    "staff_cases.edit_note": "volunteer",
    "staff_cases.disclosure_list": "dpo",
    "staff_cases.disclosure_decision": "manager",
    "staff_requests.detail": "dpo",
    "staff_requests.records": "dpo",
    "staff_admin.users": "admin",
    "staff_admin.user": "admin",
    "staff_admin.confirm_deactivation": "admin",
    "staff_audit.audit_log": "dpo",
    # The lists name the families and requesters they show (issue 15).
    "staff_triage.referrals": "volunteer",
    "staff_cases.cases": "volunteer",
    "staff_requests.queue": "dpo",
    "staff_feedback.comments": "manager",  # families' own words, which may name someone
    "staff_retention.overview": "dpo",  # the references of the records due, and the holds
}

# Forms that, sent empty (or, where noted, sent when the record is not in the state they need),
# are refused and draw their record's page again with what is wrong.
REFUSALS = {
    "staff_triage.assign": "caseworker",
    "staff_triage.accept": "caseworker",  # the referral was accepted already
    "staff_triage.decline": "caseworker",
    "staff_triage.withdraw": "caseworker",
    "staff_triage.record_attestation": "caseworker",
    "staff_triage.log_contact": "volunteer",
    "staff_cases.add_note": "volunteer",  # the penetration test's case: an empty note showed the case
    "staff_cases.edit_note": "volunteer",
    "staff_cases.details": "caseworker",
    "staff_cases.assign": "caseworker",
    "staff_cases.log_contact": "volunteer",
    "staff_cases.record_consent": "caseworker",
    "staff_cases.withdraw": "caseworker",
    "staff_cases.review": "caseworker",
    "staff_cases.disclose": "caseworker",
    "staff_cases.disclose_with_consent": "caseworker",
    "staff_cases.disclose_without_consent": "caseworker",
    "staff_cases.close": "caseworker",
    "staff_cases.confirm_close": "caseworker",
    "staff_cases.reopen": "caseworker",  # the case is open
    "staff_cases.send_feedback_link": "caseworker",  # the case is open
    "staff_cases.decide_disclosure": "manager",
    "staff_requests.identity": "dpo",
    "staff_requests.clock": "dpo",
    "staff_requests.extension": "dpo",
    "staff_requests.public_interest_extension": "manager",
    "staff_requests.child_confirmation": "dpo",
    "staff_requests.choose_records": "dpo",  # a record that is not among those found
    "staff_requests.add_withheld_name": "dpo",
    "staff_requests.response_pdf": "dpo",  # the requester's identity is not verified yet
    "staff_requests.acknowledge": "dpo",  # a subject access request, not a complaint
    "staff_requests.close": "dpo",
    "staff_admin.change_roles": "admin",
    "staff_admin.record_training": "admin",
    "staff_admin.record_agreement": "admin",
}

# Forms refused for something other than being empty (an empty choice of records is a choice).
REFUSED_FORMS = {"staff_requests.choose_records": {"records": "999999"}}

# Edits refused because a colleague saved first: both versions are shown (409).
CONFLICTS = {
    "staff_cases.edit_note": ("volunteer", {"note": "Called mum back.", "version": "0"}),
    "staff_cases.details": ("caseworker", {"topic": "", "intervention_level": "", "status": "open", "version": "0"}),
}

# Searches that show personal data when they find something: the form's answer is the page. Sent
# empty, nothing is searched for and the queue comes back with what to correct, showing nobody.
SEARCHES = {
    "staff_triage.email_search": ("volunteer", {"email": self_referral_answers()["email"]}),
    "staff_triage.person_search": ("volunteer", {"name": self_referral_answers()["child_name"]}),
    "staff_cases.case_person_search": ("volunteer", {"name": self_referral_answers()["child_name"]}),
}

# What shows no personal data, and why.
NO_PERSONAL_DATA = {
    "staff_triage.dashboard": "counts only",
    "staff_cases.disclosures_awaiting_approval": "references, bases and who recorded each: nothing of the family",
    "staff_admin.new_user": "an empty form; refused, it shows back only what the administrator typed",
    # Anonymised counts through the small-number rule; each view and download is audited all the
    # same (tests/web/test_reports.py), and a refused freeze shows only why.
    "staff_reports.reports": "anonymised counts only",
    "staff_reports.statistics_csv": "anonymised counts only",
    "staff_reports.annual_report": "queues the Annual Report: anonymised counts only",
    # A job's page says what it is making and how far it has got, never what is in it; its file is
    # handed over only to whoever made it, and that download is audited (tests/web/test_jobs.py).
    "staff_jobs.progress": "the kind of file, its step and status; nothing from the records",
    "staff_jobs.download": "the file, to the person who asked, audited as downloaded; else back to its page",
    "staff_reports.freeze_confirmation": "a question about a year, no figures",
    "staff_reports.freeze": "stores a year's counts; refused, it says why",
    # A hold's forms name the record by its reference only (its note is shown on the record's own
    # audited page); refused, they show back what the person typed. Placing and lifting are audited.
    "staff_retention.hold_referral": "a form naming the record by its reference",
    "staff_retention.hold_case": "a form naming the record by its reference",
    "staff_retention.hold_request": "a form naming the record by its reference",
    "staff_retention.lift_hold": "the reference, the hold's reason code, dates and who placed it; not its note",
}
# Pages about the signed-in person themselves (their sign-in, password and authenticator).
OWN_ACCOUNT_PREFIX = "staff_auth."
# Changes whose every outcome is a redirect (post, redirect, get): the response shows nothing, and
# the page it leads to is audited when it is drawn.
REDIRECT_ONLY = {
    "staff_requests.remove_withheld_name": "removes the name, or 404 for a name not on the request",
    "staff_admin.set_active": "deactivates or reactivates, then back to the account page",
    "staff_admin.reset_mfa": "resets, then back to the account page",
    "staff_admin.send_set_up_link": "sends a link, then back to the account page",
}


@dataclass(frozen=True)
class Response:
    status: int
    entries: list[tuple[str, str | None, int | None, str | None]]  # action, record type and id, detail


def audit_head(app: Flask) -> int:
    with app.app_context():
        head = db.session.scalar(select(func.max(AuditEntry.sequence))) or 0
        db.session.remove()
    return head


def written_since(app: Flask, after: int, actor_id: int) -> list[tuple[str, str | None, int | None, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.record_type, AuditEntry.record_id, AuditEntry.detail)
            .where(AuditEntry.sequence > after, AuditEntry.actor_id == actor_id)
            .order_by(AuditEntry.sequence)
        ).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def rule_of(app: Flask, endpoint: str):
    return next(rule for rule in staff_rules(app) if rule.endpoint == endpoint)


def fetch(app: Flask, world, endpoint: str, role: str, form: dict[str, str] | None = None) -> Response:
    """One request to ``endpoint`` as the world's ``role``: a GET, or a POST of ``form`` (with
    the CSRF token); what it answered and the audit entries it wrote as that person."""
    users, values, own_values = world
    user = users[role]
    browser = app.test_client()
    sign_in(browser, app, user)
    path = url_for_rule(rule_of(app, endpoint), values | own_values.get(role, {}))
    token = csrf_token(browser) if form is not None else None
    before = audit_head(app)
    response = browser.get(path) if form is None else browser.post(path, data={"csrf_token": token, **form})
    return Response(response.status_code, written_since(app, before, user.id))


def test_every_staff_route_is_sorted_into_shows_or_does_not_show_personal_data(app):
    sorted_routes = (
        set(LOOKS) | set(REFUSALS) | set(CONFLICTS) | set(SEARCHES) | set(NO_PERSONAL_DATA) | set(REDIRECT_ONLY)
    )
    unsorted = {
        rule.endpoint
        for rule in staff_rules(app)
        if rule.endpoint not in sorted_routes and not rule.endpoint.startswith(OWN_ACCOUNT_PREFIX)
    }
    assert unsorted == set(), "say how each new route is audited when it shows personal data, or why it shows none"
    assert sorted_routes <= set(EXPECTED)


@pytest.mark.parametrize("endpoint", sorted(LOOKS))
def test_a_look_at_personal_data_writes_one_entry(app, world, endpoint):
    shown = fetch(app, world, endpoint, LOOKS[endpoint])
    assert shown.status == 200
    assert len(shown.entries) == 1, shown.entries


@pytest.mark.parametrize("endpoint", sorted(REFUSALS))
def test_a_refused_form_that_redraws_personal_data_is_audited(app, world, endpoint):
    refused = fetch(app, world, endpoint, REFUSALS[endpoint], form=REFUSED_FORMS.get(endpoint, {}))
    assert refused.status == 400
    assert refused.entries, "the page was drawn again, with its personal data, and nothing was recorded"


@pytest.mark.parametrize("endpoint", sorted(CONFLICTS))
def test_an_edit_conflict_that_shows_both_versions_is_audited(app, world, endpoint):
    role, form = CONFLICTS[endpoint]
    conflict = fetch(app, world, endpoint, role, form=form)
    assert conflict.status == 409
    assert len(conflict.entries) == 1, conflict.entries


@pytest.mark.parametrize("endpoint", sorted(SEARCHES))
def test_a_search_that_finds_personal_data_is_audited(app, world, endpoint):
    role, form = SEARCHES[endpoint]
    found = fetch(app, world, endpoint, role, form=form)
    assert found.status == 200
    assert len(found.entries) == 1, found.entries


def test_a_volunteer_reading_their_case_by_posting_an_empty_note_leaves_a_trace(app, world):
    _, values, _ = world
    refused = fetch(app, world, "staff_cases.add_note", "volunteer", form={"note": ""})
    assert refused.status == 400
    assert refused.entries == [("case viewed", "case", values["case_id"], "add a note")]


def test_the_note_edit_page_and_its_conflict_name_the_note(app, world):
    _, values, _ = world
    looked = fetch(app, world, "staff_cases.edit_note", "volunteer")
    conflict = fetch(app, world, "staff_cases.edit_note", "volunteer", form=CONFLICTS["staff_cases.edit_note"][1])
    expected = [("case note viewed", "case", values["case_id"], f"note {values['note_id']}")]
    assert looked.entries == conflict.entries == expected


def test_the_email_search_is_a_post_audited_with_a_keyed_hash_of_whom_it_sought(app, world):
    users, _, _ = world
    address = self_referral_answers()["email"]
    browser = app.test_client()
    sign_in(browser, app, users["volunteer"])
    token = csrf_token(browser)

    before = audit_head(app)
    page = browser.post("/staff/referrals/email-search", data={"csrf_token": token, "email": f" {address.upper()} "})
    assert page.status_code == 200, "the answer is the page itself: no redirect puts the address in a URL"
    assert "Referrals naming" in page.get_data(as_text=True)
    [(action, record_type, record_id, detail)] = written_since(app, before, users["volunteer"].id)
    with app.app_context():
        sought = keyring().lookup_hash(normalise_email(address))
    assert (action, record_type, record_id) == ("referrals searched by email", None, None)
    assert detail == f"email hash {sought}; 1 found"
    assert address.split("@")[0] not in detail

    assert browser.post("/staff/referrals/email-search", data={"email": address}).status_code == 400, "CSRF"
    empty = browser.post("/staff/referrals/email-search", data={"csrf_token": token, "email": " "})
    assert empty.status_code == 400
    assert '<a href="#email">Enter an email address</a>' in empty.get_data(as_text=True)
    mistyped = browser.get("/staff/referrals", query_string={"reference": "SPS-0000"}).get_data(as_text=True)
    assert 'href="#reference"' in mistyped and "govuk-error-summary" in mistyped
    before = audit_head(app)
    queue = browser.get("/staff/referrals", query_string={"email": address})
    assert queue.status_code == 200 and "Referrals naming" not in queue.get_data(as_text=True)
    # Only the queue itself is shown (and its look recorded): a search in a URL is not made.
    assert [row[0] for row in written_since(app, before, users["volunteer"].id)] == ["referral queue viewed"]


def labels_listed(html: str) -> list[str]:
    """The "Action" column of the audit log's table, without each entry's detail."""
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, flags=re.S)
    cells = [re.findall(r'<td class="govuk-table__cell"[^>]*>(.*?)</td>', row, flags=re.S) for row in rows]
    return [unescape(row[3]).split(" (")[0] for row in cells if len(row) == 6]


def test_the_audit_log_shows_labels_and_filters_by_every_declared_action(app, world):
    users, values, _ = world
    browser = app.test_client()
    sign_in(browser, app, users["dpo"])
    page = browser.get("/staff/audit").get_data(as_text=True)
    for action, text in AUDIT_ACTIONS.items():
        assert f'<option value="{escape(action)}">{escape(text)}</option>' in page, action
    assert labels_listed(page)[0] == "Viewed the audit log", "the look heads the page it is about"

    filtered = browser.get("/staff/audit", query_string={"action": "request deadline extended"})
    assert labels_listed(filtered.get_data(as_text=True)) == [], "declared, never written: offered, nothing found"
    by_record = browser.get("/staff/audit", query_string={"record_type": "case", "record_id": values["case_id"]})
    assert {"Recorded consent", "Added a case note"} <= set(labels_listed(by_record.get_data(as_text=True)))
    unknown = browser.get("/staff/audit", query_string={"action": "no such action"})
    assert unknown.status_code == 200 and "Viewed the audit log" in labels_listed(unknown.get_data(as_text=True))
