"""The referral and case lists show people, not codes: names, needs, worker, the days the family
waited against the 10-working-day promise, sortable columns, and tables that scroll in their own box."""

from __future__ import annotations

import datetime as dt
import re

from portal.extensions import db
from portal.models import AuditEntry, InformationRequest, Referral
from portal.services import clock, requests, subject_access, triage
from portal.services.audit import Actor
from portal.services.listing import needs_line
from portal.services.requests import Closure
from tests.clock import london
from tests.factories import open_case, submit_referral
from tests.journeys import error_summary, self_referral_answers
from tests.staff import csrf_token, make_staff, sign_in
from tests.web.test_staff_requests import in_database, make_complaint, make_sar

RECEIVED = dt.date(2026, 11, 2)  # a Monday; no bank holiday before the end of the month


def signed_in(app, user):
    browser = app.test_client()
    sign_in(browser, app, user)
    return browser


def rows_of(html: str) -> list[str]:
    body = html.split('<tbody class="govuk-table__body">')[-1]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>")[:-1]]


def test_the_queue_names_the_family_their_needs_worker_and_days_waiting(app, time_machine):
    time_machine.move_to(london(RECEIVED), tick=False)
    submit_referral(app, "self", self_referral_answers(needs="Autism and speech delay.\nSecond line not shown."))
    worker = make_staff(app, "caseworker", name="Wendy Worker")
    with app.app_context():
        referral = db.session.scalars(db.select(Referral)).one()
        triage.assign(referral, worker.id, Actor(worker.id, None, clock.now()))

    # Signed in on each day: a session ends within the day it began.
    time_machine.move_to(london(dt.date(2026, 11, 16)), tick=False)
    [row] = rows_of(signed_in(app, worker).get("/staff/referrals").get_data(as_text=True))
    assert "Siân 李 Ó Briain" in row and "Zoë Ó Briain-Nakamura" in row
    assert "Autism and speech delay." in row and "Second line" not in row
    assert "Wendy Worker" in row
    assert "10 of 10 working days" in row and "Over 10 working days" not in row

    time_machine.move_to(london(dt.date(2026, 11, 17)), tick=False)
    [row] = rows_of(signed_in(app, worker).get("/staff/referrals").get_data(as_text=True))
    assert "11 of 10 working days Over 10 working days" in row


def test_a_long_need_is_cut_to_one_line_at_a_word():
    assert needs_line("word " * 40).endswith("word…")
    assert len(needs_line("word " * 40)) <= 91
    assert needs_line("") == ""


def test_the_case_list_names_the_family_and_how_long_they_waited(app, time_machine):
    time_machine.move_to(london(RECEIVED), tick=False)
    submit_referral(app, "self")
    worker = make_staff(app, "caseworker", name="Wendy Worker")
    time_machine.move_to(london(dt.date(2026, 11, 5)), tick=False)
    with app.app_context():
        referral = db.session.scalars(db.select(Referral)).one()
        acts = Actor(worker.id, None, clock.now())
        triage.assign(referral, worker.id, acts)
        triage.accept(referral, acts, acts.today, 6)
    time_machine.move_to(london(dt.date(2026, 12, 20)), tick=False)
    [row] = rows_of(signed_in(app, worker).get("/staff/cases").get_data(as_text=True))
    assert "Siân 李 Ó Briain" in row and "Zoë Ó Briain-Nakamura" in row and "Wendy Worker" in row
    # Waiting stopped the day the case opened: 3, 4 and 5 November.
    assert "3 of 10 working days" in row


def test_the_queue_sorts_by_status_and_worker_on_the_server(app, time_machine):
    time_machine.move_to(london(RECEIVED), tick=False)
    first = submit_referral(app, "self")
    time_machine.move_to(london(RECEIVED, hour=11), tick=False)
    second = submit_referral(app, "self")
    amy, zed = make_staff(app, "caseworker", name="Amy Able"), make_staff(app, "caseworker", name="Zed Zane")
    with app.app_context():
        acts = Actor(amy.id, None, clock.now())
        triage.assign(db.session.get(Referral, first.id), zed.id, acts)
        triage.assign(db.session.get(Referral, second.id), amy.id, acts)
        triage.decline(db.session.get(Referral, second.id), "Outside the area", acts)
    browser = signed_in(app, amy)

    def order(query: str) -> list[str]:
        html = browser.get("/staff/referrals" + query).get_data(as_text=True)
        return [reference for reference in re.findall(r"(SPS-[0-9A-Z]{4}-[0-9A-Z]{4})</a>", html)]

    assert order("") == [second.reference, first.reference]  # newest first
    assert order("?sort=received&order=ascending") == [first.reference, second.reference]
    assert order("?sort=status&order=ascending") == [first.reference, second.reference]  # new, then declined
    assert order("?sort=status&order=descending") == [second.reference, first.reference]
    assert order("?sort=worker&order=ascending") == [second.reference, first.reference]  # Amy, then Zed
    assert order("?sort=worker&order=descending") == [first.reference, second.reference]
    assert order("?sort=name&order=sideways") == [second.reference, first.reference]  # unknown: the default


def test_sortable_headers_say_how_the_list_is_sorted_and_keep_the_filters(app):
    browser = signed_in(app, make_staff(app, "caseworker"))
    html = browser.get("/staff/referrals?status=new&sort=worker&order=ascending").get_data(as_text=True)
    header = re.search(r'<th[^>]*aria-sort="ascending"[^>]*>\s*<a[^>]*href="([^"]+)"[^>]*>Worker', html)
    assert header, "the worker column says it is sorted ascending"
    assert "sort=worker" in header.group(1) and "order=descending" in header.group(1)
    assert "status=new" in header.group(1)
    assert re.search(r'<th[^>]*aria-sort="none"[^>]*>\s*<a[^>]*>Received', html)
    cases = signed_in(app, make_staff(app, "caseworker")).get("/staff/cases?sort=review&order=descending")
    assert re.search(r'aria-sort="descending"[^>]*>\s*<a[^>]*>Consent review', cases.get_data(as_text=True))


def test_staff_tables_scroll_in_a_focusable_named_region(app):
    submit_referral(app, "self")
    browser = signed_in(app, make_staff(app, "caseworker"))
    for path, label in (("/staff/referrals", "The referral queue"), ("/staff/cases", "Cases")):
        html = browser.get(path).get_data(as_text=True)
        assert f'<div class="sps-table-scroll" role="region" aria-label="{label}" tabindex="0">' in html, path


def test_references_never_break_at_their_dashes(app):
    made = submit_referral(app, "self")
    html = signed_in(app, make_staff(app, "caseworker")).get("/staff/referrals").get_data(as_text=True)
    assert re.search(rf'class="govuk-link sps-reference"[^>]*>{made.reference}<', html)


def search(browser, path: str = "/staff/referrals/person-search", **typed: str):
    return browser.post(path, data={"csrf_token": csrf_token(browser), **typed})


def found_references(html: str) -> list[str]:
    found = html.split("matching your search")[1].split("</table>")[0] if "matching your search" in html else ""
    return re.findall(r"(SPS-[0-9A-Z]{4}-[0-9A-Z]{4})</a>", found)


def test_referrals_are_found_by_name_date_of_birth_or_postcode_and_the_search_is_audited(app):
    made = submit_referral(app, "self")
    other = submit_referral(app, "self", self_referral_answers(child_name="Ada Other", postcode="BS1 4DJ"))
    browser = signed_in(app, make_staff(app, "caseworker"))

    by_name = search(browser, name="  siân 李 ó  briain ")
    assert by_name.status_code == 200
    assert found_references(by_name.get_data(as_text=True)) == [made.reference]
    # The parent's name finds the family too; part of a name does not.
    assert found_references(search(browser, name="ZOË Ó BRIAIN NAKAMURA").get_data(as_text=True)) == [
        other.reference,
        made.reference,
    ]
    assert found_references(search(browser, name="Siân").get_data(as_text=True)) == []
    born = {"date_of_birth-day": "14", "date_of_birth-month": "03", "date_of_birth-year": "2015"}
    assert found_references(search(browser, **born).get_data(as_text=True)) == [other.reference, made.reference]
    assert found_references(search(browser, postcode="BA11AA").get_data(as_text=True)) == [made.reference]
    assert found_references(search(browser, postcode="ba1 1aa", name="Ada Other").get_data(as_text=True)) == []

    with app.app_context():
        entries = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "referrals searched by person").order_by(AuditEntry.id)
        ).all()
    assert len(entries) == 6
    assert re.fullmatch(r"name hash [0-9a-f]{64}; 1 found", entries[0].detail)
    assert "briain" not in " ".join(entry.detail for entry in entries).casefold()


def test_a_search_with_nothing_typed_or_a_date_that_is_not_one_says_what_to_correct(app):
    browser = signed_in(app, make_staff(app, "caseworker"))
    empty = search(browser)
    assert empty.status_code == 400
    assert error_summary(empty.get_data(as_text=True)) == [
        ("#name", "Enter a full name, a date of birth or a postcode")
    ]
    wrong = search(browser, **{"date_of_birth-day": "31", "date_of_birth-month": "2", "date_of_birth-year": "2015"})
    assert wrong.status_code == 400
    assert error_summary(wrong.get_data(as_text=True)) == [
        ("#date_of_birth-day", "The date of birth must be a real date")
    ]


def test_a_volunteer_finds_only_the_families_assigned_to_them(app):
    submit_referral(app, "self")
    browser = signed_in(app, make_staff(app, "volunteer"))
    assert found_references(search(browser, name="Siân 李 Ó Briain").get_data(as_text=True)) == []


def test_cases_are_found_by_name_and_the_search_is_audited(app):
    worker = make_staff(app, "caseworker")
    case_id = open_case(app, worker.id)
    submit_referral(app, "self")  # the same child, still a referral: not a case
    browser = signed_in(app, worker)
    html = search(browser, "/staff/cases/person-search", name="Siân 李 Ó Briain").get_data(as_text=True)
    assert re.findall(r'href="/staff/cases/(\d+)"', html.split("matching your search")[1].split("</table>")[0]) == [
        str(case_id)
    ]
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "cases searched by person")).one()
    assert entry.detail.endswith("; 1 found")


def test_the_requests_queue_names_the_requester_and_the_stage_each_request_has_reached(app):
    today = clock.london_today()
    dpo = make_staff(app, "dpo")
    checked, answered = make_sar(app, today), make_sar(app, today - dt.timedelta(days=1))
    waiting, acknowledged = make_sar(app, today - dt.timedelta(days=2)), make_complaint(app, today)
    in_database(
        app,
        checked,
        lambda found, who: subject_access.verify_identity(found, "photo_id_and_address", today, who, today),
        dpo,
    )
    closure = Closure("no_records_held", today, "We hold nothing.")
    in_database(app, answered, lambda found, who: requests.close(found, closure, who, today), dpo)
    in_database(app, acknowledged, lambda found, who: requests.acknowledge_complaint(found, today, who, today), dpo)

    browser = signed_in(app, dpo)
    rows = rows_of(browser.get("/staff/requests").get_data(as_text=True))
    closed_rows = rows_of(browser.get("/staff/requests?view=closed").get_data(as_text=True))

    def row_of(made, among):
        [row] = [row for row in among if made.reference in row]
        return row

    assert "Zoë Ó Briain-Nakamura" in row_of(waiting, rows)
    assert "Subject access request Received" in row_of(waiting, rows)
    assert "Identity checked" in row_of(checked, rows)
    assert "Acknowledged" in row_of(acknowledged, rows)
    assert "Response sent" in row_of(answered, closed_rows)


def test_a_request_with_records_chosen_has_reached_that_stage_and_a_withdrawn_one_closed_without_a_response():
    request = InformationRequest(kind="sar", status="open", identity_verified_on=dt.date(2026, 11, 2))
    assert requests.stage_of(request, records_chosen=False) == "identity_checked"
    assert requests.stage_of(request, records_chosen=True) == "records_chosen"
    request.status, request.outcome = "closed", "withdrawn"
    assert requests.STAGE_LABELS[requests.stage_of(request, records_chosen=True)] == "Closed without a response"


HOSTILE = ("", "x" * 5000, "\x00", "-1", "9" * 40, "٣", "1e5", "<script>", "sideways")


def test_odd_values_in_the_sorts_dates_and_searches_never_break_a_list(app):
    manager = make_staff(app, "manager")
    browser = signed_in(app, manager)
    for value in HOSTILE:
        for path in ("/staff/referrals", "/staff/cases"):
            response = browser.get(path, query_string={"sort": value, "order": value})
            assert response.status_code == 200, (path, value[:20])
        for field in ("from-day", "from-year", "to-month"):
            response = browser.get("/staff/audit", query_string={field: value})
            assert response.status_code in (200, 400), (field, value[:20])
        for path in ("/staff/referrals/person-search", "/staff/cases/person-search"):
            for field in ("name", "postcode", "date_of_birth-year"):
                response = search(browser, path, **{field: value})
                assert response.status_code in (200, 400), (path, field, value[:20])
