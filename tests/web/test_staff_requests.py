"""Information requests in the back office, through the Flask test client (which checks every page
it fetches), signed in as the data protection team (subject access requests and complaints) or the
Strategic Manager (Freedom of Information requests).

The queue and its views, finding a request by reference, a request's deadline with its working,
overdue said in words, every form sent back empty with its error summary, a subject access request
taken from receipt to the response PDF, the kinds each role does not handle (404), the dashboard's
counts, closing an FOI request and a complaint, the FOI clock (clarification, fees, a public
interest extension) and stalled complaints. The clock stands at 10am in London on Wednesday 25
November 2026 unless a test moves it; requests are made through the services with receipt dates
counted from the clock's today.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask

from portal.extensions import db
from portal.models import AuditEntry, Case, InformationRequest, Referral
from portal.services import casework, clock, redaction, references, requests, subject_access, triage
from portal.services.audit import Actor
from portal.services.clock import london_today, long_date
from portal.services.consent import CaseConsent, record_case_consent
from portal.services.deadlines import UK, Event, Facts, FreedomOfInformation, SubjectAccess
from portal.services.requests import Closure, ComplaintAnswers, FoiAnswers, Requester, SubjectAccessAnswers
from portal.services.validation import add_years
from tests.clock import clock_on, london
from tests.conftest import CheckingClient
from tests.factories import submit_referral
from tests.jobs import download_when_made
from tests.journeys import error_summary, self_referral_answers
from tests.staff import csrf_token, date_fields, make_staff, pdf_text, sign_in

WHERE = "192.0.2.30"
PARENT = Requester("Zoë Ó Briain-Nakamura", "zoe.family@example.com", None, None, None, "email")
CHILD = "Siân 李 Ó Briain"
CHILD_BORN = dt.date(2015, 3, 14)  # as self_referral_answers: 11 when the requests below arrive
NEIGHBOUR = "Priya Raman"
REQUESTED = "subject access response requested"
MADE = "subject access response ready"
DOWNLOADED = "subject access response downloaded"

clock_on_today = clock_on(dt.date(2026, 11, 25))


# Making requests and casework in the database ----------------------------------------------------


@dataclass(frozen=True)
class Made:
    id: int
    reference: str
    due_on: dt.date


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), dt.UTC)


def _made(request: InformationRequest) -> Made:
    return Made(request.id, request.reference, request.due_on)


_keys = iter(range(1, 1_000_000))


def make_sar(app: Flask, received_on: dt.date, **overrides: object) -> Made:
    values: dict[str, object] = {
        "acting_as": "parent_carer",
        "requester": PARENT,
        "authority": None,
        "subject_name": CHILD,
        "subject_other_names": None,
        "subject_date_of_birth": CHILD_BORN,
        "reference_given": None,
        "wanted": "Everything you hold about my daughter.",
        "identity_check": "documents",
    }
    values.update(overrides)
    with app.app_context():
        mailer = app.extensions["portal_mailer"]
        made = _made(
            requests.submit_subject_access(
                SubjectAccessAnswers(**values), True, f"sar-{next(_keys)}", mailer, at_noon(received_on)
            )
        )
        db.session.remove()
    return made


def make_foi(app: Flask, received_on: dt.date, question: str = "How many referrals did you get last year?") -> Made:
    with app.app_context():
        mailer = app.extensions["portal_mailer"]
        made = _made(
            requests.submit_foi(FoiAnswers(PARENT, question), f"foi-{next(_keys)}", mailer, at_noon(received_on))
        )
        db.session.remove()
    return made


def make_complaint(app: Flask, received_on: dt.date) -> Made:
    answers = ComplaintAnswers(PARENT, "You sent my letter to the wrong address.", None, None)
    with app.app_context():
        mailer = app.extensions["portal_mailer"]
        made = _made(requests.submit_complaint(answers, f"dpc-{next(_keys)}", mailer, at_noon(received_on)))
        db.session.remove()
    return made


def in_database(app: Flask, made: Made, change: Callable[[InformationRequest, Actor], None], user) -> None:
    with app.app_context():
        change(db.session.get(InformationRequest, made.id), Actor(user.id, WHERE, clock.now()))
        db.session.remove()


def received_for_sar_due(today: dt.date, lowest: int, highest: int) -> dt.date:
    """A receipt date whose one-month deadline (moved past weekends and bank holidays) falls
    between ``lowest`` and ``highest`` days from today."""
    for back in range(20, 80):
        received = today - dt.timedelta(days=back)
        due = SubjectAccess().initial(received).due_on
        if lowest <= (due - today).days <= highest:
            return received
    raise AssertionError(f"no receipt date gives a deadline {lowest} to {highest} days from {today}")


def audit_actions(app: Flask, request_id: int) -> list[str]:
    with app.app_context():
        actions = list(
            db.session.scalars(
                db.select(AuditEntry.action)
                .where(AuditEntry.record_type == "information_request", AuditEntry.record_id == request_id)
                .order_by(AuditEntry.sequence)
            )
        )
        db.session.remove()
    return actions


def clock_changes_audited(app: Flask, request_id: int) -> list[str]:
    """The clock events audited on the request, in order (the event is the entry's detail)."""
    with app.app_context():
        events = list(
            db.session.scalars(
                db.select(AuditEntry.detail)
                .where(AuditEntry.action == "request clock changed", AuditEntry.record_id == request_id)
                .order_by(AuditEntry.sequence)
            )
        )
        db.session.remove()
    return events


# Reading pages -----------------------------------------------------------------------------------


def words(html: str) -> str:
    """The page's text, tags gone and whitespace collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def queue_rows(html: str) -> list[tuple[str, str]]:
    """(reference, the row's text) for each request in the queue's table."""
    body = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0]
    found = []
    for row in body.split('<tr class="govuk-table__row">')[1:]:
        link = re.search(r'href="/staff/requests/\d+">([A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4})</a>', row)
        if link:
            found.append((link.group(1), words(row)))
    return found


def listed(client, query: str = "") -> list[str]:
    response = client.get(f"/staff/requests{query}")
    assert response.status_code == 200, response.status_code
    return [reference for reference, _ in queue_rows(response.get_data(as_text=True))]


def assert_errors(response, expected: dict[str, str]) -> None:
    """A 400 with an error summary whose links are exactly ``expected`` (href to the start of its
    message), each leading to one element of the page, and a title that starts "Error: "."""
    html = response.get_data(as_text=True)
    assert response.status_code == 400, response.status_code
    assert re.search(r"<title>\s*Error: ", html), "the title does not start with Error:"
    links = error_summary(html)
    assert [href for href, _ in links] == list(expected), links
    for (href, message), start_of_message in zip(links, expected.values(), strict=True):
        assert message.startswith(start_of_message), (href, message)
        target = href.removeprefix("#")
        assert len(re.findall(rf'\bid="{re.escape(target)}"', html)) == 1, f"{href} leads to no single element"


# Fixtures ----------------------------------------------------------------------------------------


@dataclass
class Team:
    dpo: object
    manager: object
    caseworker: object


@pytest.fixture
def team(app) -> Team:
    return Team(
        make_staff(app, "dpo", name="Dana Protection"),
        make_staff(app, "manager", name="Morgan Manager"),
        make_staff(app, "caseworker", name="Casey Worker"),
    )


def signed_in(app: Flask, user) -> CheckingClient:
    client = app.test_client()
    sign_in(client, app, user)
    return client


@pytest.fixture
def dpo(app, team) -> CheckingClient:
    return signed_in(app, team.dpo)


@pytest.fixture
def manager(app, team) -> CheckingClient:
    return signed_in(app, team.manager)


def post(client, path: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client), **data})


# The queue ---------------------------------------------------------------------------------------


@pytest.fixture
def queue_world(app, team, outbox):
    """Requests of every kind in every state the queue's views tell apart."""
    today = london_today()
    made = {
        "long_overdue": make_sar(app, today - dt.timedelta(days=70)),
        "recently_overdue": make_sar(app, received_for_sar_due(today, -7, -1)),
        "due_this_week": make_sar(app, received_for_sar_due(today, 1, 7)),
        "later": make_sar(app, today),
        "paused": make_sar(app, today - dt.timedelta(days=10)),
        "closed": make_sar(app, today - dt.timedelta(days=20)),
        "complaint_acknowledged": make_complaint(app, today - dt.timedelta(days=40)),
        "complaint_stalled": make_complaint(app, today - dt.timedelta(days=60)),
        "complaint_overdue": make_complaint(app, today - dt.timedelta(days=35)),
        "foi_overdue": make_foi(app, today - dt.timedelta(days=60)),
    }
    in_database(
        app,
        made["paused"],
        lambda found, who: requests.record_clock_event(
            found, "pause", today - dt.timedelta(days=5), "Asked which meetings they mean.", who, today
        ),
        team.dpo,
    )
    in_database(
        app,
        made["closed"],
        lambda found, who: requests.close(found, Closure("no_records_held", today, "We hold nothing."), who, today),
        team.dpo,
    )
    in_database(
        app,
        made["complaint_acknowledged"],
        lambda found, who: requests.acknowledge_complaint(found, today - dt.timedelta(days=10), who, today),
        team.dpo,
    )
    # Acknowledged 31 days ago and still not answered: stalled.
    in_database(
        app,
        made["complaint_stalled"],
        lambda found, who: requests.acknowledge_complaint(found, today - dt.timedelta(days=31), who, today),
        team.dpo,
    )
    return made


def refs(made: dict[str, Made], *names: str) -> list[str]:
    return [made[name].reference for name in names]


def by_due(made: dict[str, Made], *names: str) -> list[str]:
    return [made[name].reference for name in sorted(names, key=lambda name: (made[name].due_on, made[name].id))]


def test_the_queue_lists_each_view_of_the_requests_the_person_handles(dpo, manager, queue_world):
    made = queue_world
    open_for_dpo = (
        "long_overdue",
        "recently_overdue",
        "due_this_week",
        "later",
        "paused",
        "complaint_acknowledged",
        "complaint_stalled",
        "complaint_overdue",
    )
    # Soonest due first; a paused request keeps its place by the deadline it had.
    assert listed(dpo) == by_due(made, *open_for_dpo)
    assert listed(dpo, "?view=open") == by_due(made, *open_for_dpo)
    assert listed(dpo, "?view=overdue") == by_due(made, "long_overdue", "recently_overdue", "complaint_overdue")
    assert listed(dpo, "?view=recently_overdue") == by_due(made, "recently_overdue", "complaint_overdue")
    assert listed(dpo, "?view=due_week") == refs(made, "due_this_week")
    assert listed(dpo, "?view=paused") == refs(made, "paused")
    assert listed(dpo, "?view=closed") == refs(made, "closed")
    assert listed(dpo, "?view=stalled") == refs(made, "complaint_stalled")
    assert listed(dpo, "?view=overdue&kind=complaint") == refs(made, "complaint_overdue")
    assert listed(dpo, "?view=overdue&kind=sar") == by_due(made, "long_overdue", "recently_overdue")
    # A kind the person does not handle is ignored, not shown.
    assert listed(dpo, "?view=overdue&kind=foi") == listed(dpo, "?view=overdue")
    assert listed(dpo, "?view=nonsense") == listed(dpo)

    assert listed(manager) == refs(made, "foi_overdue")
    assert listed(manager, "?view=overdue") == refs(made, "foi_overdue")
    assert listed(manager, "?view=closed") == []
    # Stalled complaints are the data protection team's view only.
    assert listed(manager, "?view=stalled") == listed(manager)
    assert "view=stalled" not in manager.get("/staff/requests").get_data(as_text=True)


def test_the_queue_says_overdue_in_words_and_how_long_is_left(dpo, queue_world):
    made = queue_world
    today = london_today()
    html = dpo.get("/staff/requests?view=open").get_data(as_text=True)
    rows = dict(queue_rows(html))
    for name in ("long_overdue", "recently_overdue", "complaint_overdue"):
        late = (today - made[name].due_on).days
        status = rows[made[name].reference]
        assert f"Overdue by {late} day{'' if late == 1 else 's'}" in status, status
    days_left = (made["due_this_week"].due_on - today).days
    assert f"Due soon {days_left} day{'' if days_left == 1 else 's'} left" in rows[made["due_this_week"].reference]
    assert "Clock paused" in rows[made["paused"].reference]
    assert "Acknowledged" in rows[made["complaint_acknowledged"].reference]
    assert "Overdue" not in rows[made["complaint_acknowledged"].reference]
    acknowledged_on = long_date(today - dt.timedelta(days=31))
    assert f"Stalled acknowledged {acknowledged_on}, not answered" in rows[made["complaint_stalled"].reference]
    assert re.search(r'govuk-tag--orange">\s*Stalled\s*<', html)
    assert "(acknowledgement)" in rows[made["complaint_overdue"].reference]
    caption = words(re.search(r"<caption[^>]*>(.*?)</caption>", html, re.S).group(1))
    assert caption == "Open: 8 requests", caption

    closed = dict(queue_rows(dpo.get("/staff/requests?view=closed").get_data(as_text=True)))
    assert closed[made["closed"].reference].endswith(f"Closed {long_date(today)}")


def test_the_dashboard_counts_requests_due_this_week_and_overdue_for_their_handlers(
    app, team, dpo, manager, queue_world
):
    def counts(client) -> dict[str, int]:
        html = client.get("/staff/").get_data(as_text=True)
        found = re.findall(r'sps-count__number">(\d+)</span>\s*requests? (due in the next 7 days|overdue)', html)
        return {label: int(number) for number, label in found}

    assert counts(dpo) == {"due in the next 7 days": 1, "overdue": 3}
    assert counts(manager) == {"due in the next 7 days": 0, "overdue": 1}
    dashboard = dpo.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/requests?view=overdue"' in dashboard
    assert 'href="/staff/requests?view=due_week"' in dashboard
    assert re.search(r'sps-count__number">1</span>\s*complaint stalled', dashboard)
    assert 'href="/staff/requests?view=stalled"' in dashboard
    assert "stalled" not in manager.get("/staff/").get_data(as_text=True)
    caseworker = signed_in(app, team.caseworker).get("/staff/").get_data(as_text=True)
    assert not re.search(r"requests? (due in the next 7 days|overdue)", words(caseworker))
    assert "/staff/requests" not in caseworker


def test_a_request_is_found_by_its_reference_as_typed_and_a_mistyped_one_is_reported(dpo, manager, queue_world):
    made = queue_world["recently_overdue"]
    typed = made.reference.lower().replace("-", " ")
    response = dpo.get(f"/staff/requests?reference={typed}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/requests/{made.id}"

    # The last character is the check character: change it and the mistake is caught.
    last = made.reference[-1]
    wrong = made.reference[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(references.MistypedReference):
        references.parse(wrong)
    response = dpo.get(f"/staff/requests?reference={wrong}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"<title>\s*Error: ", html)
    assert error_summary(html) == [
        ("#reference", "That reference has a mistake in it: check each character and try again")
    ]
    assert 'id="reference-error"' in html
    assert f'value="{wrong}"' in html  # what was typed stays in the box

    response = dpo.get("/staff/requests?reference=hello")
    assert error_summary(response.get_data(as_text=True))[0][1].startswith("Enter a reference in the format")

    # An FOI request is the Strategic Manager's: the data protection team do not find it.
    foi = queue_world["foi_overdue"]
    response = dpo.get(f"/staff/requests?reference={foi.reference}")
    assert error_summary(response.get_data(as_text=True)) == [
        ("#reference", "No request you handle has that reference")
    ]
    response = manager.get(f"/staff/requests?reference={foi.reference}")
    assert response.headers["Location"] == f"/staff/requests/{foi.id}"


def test_each_role_reaches_only_the_kinds_it_handles(app, dpo, manager, queue_world):
    sar, foi = queue_world["long_overdue"], queue_world["foi_overdue"]
    complaint = queue_world["complaint_overdue"]
    assert manager.get(f"/staff/requests/{sar.id}").status_code == 404
    assert manager.get(f"/staff/requests/{complaint.id}").status_code == 404
    assert dpo.get(f"/staff/requests/{foi.id}").status_code == 404
    # A request that was not shown is not audited as viewed.
    assert "information request viewed" not in audit_actions(app, foi.id)
    assert "information request viewed" not in audit_actions(app, sar.id)
    assert manager.get(f"/staff/requests/{foi.id}").status_code == 200
    assert audit_actions(app, foi.id).count("information request viewed") == 1
    assert dpo.get(f"/staff/requests/{sar.id}").status_code == 200
    assert dpo.get("/staff/requests/999999").status_code == 404
    # Closing is open to both handlers, each for their own kinds only.
    assert post(manager, f"/staff/requests/{sar.id}/close").status_code == 404
    assert post(dpo, f"/staff/requests/{foi.id}/close").status_code == 404
    # The clock is each handler's for their own kinds; the extensions belong to one kind each.
    assert post(manager, f"/staff/requests/{sar.id}/clock").status_code == 404
    assert post(dpo, f"/staff/requests/{foi.id}/clock").status_code == 404
    assert post(dpo, f"/staff/requests/{sar.id}/public-interest-extension").status_code == 403
    assert post(manager, f"/staff/requests/{foi.id}/extension").status_code == 403
    # The subject access steps are the data protection team's alone.
    assert post(manager, f"/staff/requests/{sar.id}/response", copy="requester").status_code == 403
    assert manager.get(f"/staff/requests/{sar.id}/records").status_code == 403
    # The records page belongs to a subject access request.
    assert dpo.get(f"/staff/requests/{complaint.id}/records").status_code == 404


# A request's deadline and its working ------------------------------------------------------------


def test_a_subject_access_request_shows_how_its_deadline_was_worked_out(dpo, app, outbox):
    today = london_today()
    received = today - dt.timedelta(days=3)
    made = make_sar(app, received)
    working = SubjectAccess().initial(received)
    text = words(dpo.get(f"/staff/requests/{made.id}").get_data(as_text=True))
    assert f"The clock started on {received:%A} {received.day} {received:%B %Y}." in text
    for step in working.steps:
        assert step in text, step
    days_left = (made.due_on - today).days
    assert f"Response due {long_date(made.due_on)} ({days_left} days left)" in text
    assert "Overdue" not in text


def test_an_foi_request_received_before_christmas_skips_the_bank_holidays(manager, app, outbox):
    # 18 December, at least 60 days ago (so long overdue): Christmas always comes before day 20.
    received = dt.date((london_today() - dt.timedelta(days=60)).year - 1, 12, 18)
    made = make_foi(app, received)
    working = FreedomOfInformation().initial(received)
    html = manager.get(f"/staff/requests/{made.id}").get_data(as_text=True)
    text = words(html)
    assert f"Received on {received:%A} {received.day} {received:%B %Y}." in text
    for step in working.steps:
        assert step in text, step
    christmas = dt.date(received.year, 12, 25)
    boxing_day = dt.date(received.year, 12, 26)
    skipped = dict(working.skipped_holidays)
    assert christmas in skipped or christmas.weekday() >= 5
    assert any("Christmas Day" in name for name in skipped.values()), skipped
    assert any("Boxing Day" in name for name in skipped.values()) or boxing_day.weekday() >= 5
    assert "Christmas Day" in text
    assert f"The reply is due by {working.due_on:%A} {working.due_on.day} {working.due_on:%B %Y}." in text
    # Long past due, and said so in words as well as colour.
    assert "This request is overdue." in text
    assert f"Overdue: was due {long_date(working.due_on)}" in text
    assert re.search(r'govuk-tag--red">\s*Overdue\s*<', html)


def test_pausing_the_clock_and_extending_show_in_the_working(dpo, app, outbox):
    today = london_today()
    received = today - dt.timedelta(days=20)
    made = make_sar(app, received)
    paused_on, resumed_on = received + dt.timedelta(days=2), received + dt.timedelta(days=7)
    page = f"/staff/requests/{made.id}"

    response = post(
        dpo, f"{page}/clock", clock_event="pause", clock_reason="Asked which meetings they mean.",
        **date_fields("clock_on", paused_on),
    )  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"] == f"{page}#deadline"
    text = words(dpo.get(page).get_data(as_text=True))
    assert "Open, clock paused" in text
    assert f"Clock paused since {long_date(paused_on)} until the clarification arrives" in text
    assert "Recorded. The clock is paused until the clarification arrives." in text
    assert "The clarification arrived: resume the clock" in text

    response = post(
        dpo, f"{page}/clock", clock_event="resume", clock_reason="They told us: the March meeting.",
        **date_fields("clock_on", resumed_on),
    )  # fmt: skip
    assert response.status_code == 302
    html = dpo.get(page).get_data(as_text=True)
    text = words(html)
    assert "Recorded. The response is due by" in text  # the confirmation banner
    assert "6 days, both days included, do not count" in text
    pause_and_resume = (Event("start", received), Event("pause", paused_on), Event("resume", resumed_on))
    for step in SubjectAccess().working(Facts(received, pause_and_resume)).steps:
        assert step in text, step
    assert f"{long_date(paused_on)} Clock paused Asked which meetings they mean. Dana Protection" in text
    assert f"{long_date(resumed_on)} Clock resumed They told us: the March meeting. Dana Protection" in text
    assert "The portal, on receipt" in text

    response = post(
        dpo, f"{page}/extension", extension_months="2", extension_reason="Records across two cases.",
        **date_fields("notice_sent_on", today),
    )  # fmt: skip
    assert response.status_code == 302
    extended = SubjectAccess().working(Facts(received, pause_and_resume, extension_months=2))
    text = words(dpo.get(page).get_data(as_text=True))
    assert "Extended by 2 months, to " in text
    for step in extended.steps:
        assert step in text, step
    assert f"Response due {long_date(extended.due_on)}" in text
    assert f"{long_date(today)} Extended by 2 months; requester told on this date Records across two cases." in text
    assert "Extend the deadline" not in text  # once only
    assert "request deadline extended" in audit_actions(app, made.id)
    assert {"pause", "resume"} <= set(clock_changes_audited(app, made.id))


# Dated deadlines on the request page (the clock set to the day) -----------------------------------


@pytest.mark.parametrize(
    ("nation", "due", "moved_by"),
    [
        ("england", dt.date(2026, 1, 2), None),
        # 2 January is a bank holiday in Scotland: the weekend, then Monday 5th.
        ("scotland", dt.date(2026, 1, 5), "Friday 2 January 2026 is New Year Holiday, a public holiday in Scotland"),
    ],
)
def test_a_subject_access_request_of_2_december_2025_shows_its_date_on_the_request_page(
    app, team, outbox, time_machine, monkeypatch, nation, due, moved_by
):
    time_machine.move_to(london(dt.date(2025, 12, 10)), tick=False)
    today = london_today()
    monkeypatch.setitem(app.config, "SERVICE_NATION", nation)
    made = make_sar(app, dt.date(2025, 12, 2))
    dpo = signed_in(app, team.dpo)
    text = words(dpo.get(f"/staff/requests/{made.id}").get_data(as_text=True))
    assert made.due_on == due
    assert f"Response due {long_date(due)} ({(due - today).days} days left)" in text
    assert "The clock started on Tuesday 2 December 2025." in text
    assert "One calendar month later is Friday 2 January 2026." in text
    assert f"The response is due by {due:%A} {due.day} {due:%B %Y}." in text
    if moved_by:
        assert moved_by in text
    else:
        assert "is not a working day" not in text and "moves to the next day" not in text


def test_a_complaint_of_25_november_2026_is_due_after_christmas_and_stalls_unanswered(app, team, outbox, time_machine):
    time_machine.move_to(london(dt.date(2026, 12, 1)), tick=False)
    made = make_complaint(app, dt.date(2026, 11, 25))
    dpo = signed_in(app, team.dpo)
    page = f"/staff/requests/{made.id}"
    text = words(dpo.get(page).get_data(as_text=True))
    assert made.due_on == dt.date(2026, 12, 29)
    assert "Acknowledgement due 29 December 2026 (28 days left)" in text
    for step in (
        "day 30 is Friday 25 December 2026.",
        "Friday 25 December 2026 is Christmas Day, a public holiday in England and Wales, so the deadline moves",
        "Monday 28 December 2026 is Boxing Day (observed), a public holiday in England and Wales, so the deadline",
        "The acknowledgement is due by Tuesday 29 December 2026.",
    ):
        assert step in text, step
    assert dict(queue_rows(dpo.get("/staff/requests").get_data(as_text=True)))[made.reference].startswith(
        f"{made.reference} {PARENT.full_name} Complaint Received 25 November 2026 29 December 2026 (acknowledgement)"
    )

    response = post(dpo, f"{page}/acknowledgement", **date_fields("acknowledged_on", dt.date(2026, 12, 1)))
    assert response.status_code == 302 and response.headers["Location"] == f"{page}#deadline"
    text = words(dpo.get(page).get_data(as_text=True))
    assert "Recorded. The complaint should be answered by 31 December 2026, or it shows as stalled." in text
    assert "To be answered by 31 December 2026" in text and "Stalled" not in text

    # 31 December is the last of the 30 days; on 1 January 2027 the complaint has stalled.
    time_machine.move_to(london(dt.date(2026, 12, 31), 16), tick=False)
    assert listed(signed_in(app, team.dpo), "?view=stalled") == []
    time_machine.move_to(london(dt.date(2027, 1, 1)), tick=False)
    dpo = signed_in(app, team.dpo)
    html = dpo.get(page).get_data(as_text=True)
    text = words(html)
    assert "This complaint has stalled: acknowledged on 1 December 2026 and not answered within 30 days." in text
    assert "Stalled: not answered by 31 December 2026" in text
    assert re.search(r'govuk-tag--orange">\s*Stalled\s*<', html)
    assert listed(dpo, "?view=stalled") == [made.reference]
    assert re.search(r'sps-count__number">1</span>\s*complaint stalled', dpo.get("/staff/").get_data(as_text=True))


def test_the_manager_records_an_foi_clarification_a_fee_and_a_public_interest_extension(
    app, team, outbox, time_machine
):
    # Monday 2 March 2026; the clock stands at 20 March.
    time_machine.move_to(london(dt.date(2026, 3, 20)), tick=False)
    made = make_foi(app, dt.date(2026, 3, 2))
    assert made.due_on == dt.date(2026, 3, 31)  # St Patrick's Day (Northern Ireland) not counted
    manager = signed_in(app, team.manager)
    page = f"/staff/requests/{made.id}"
    html = manager.get(page).get_data(as_text=True)
    assert "Stop or restart the clock: a clarification or a fee" in html
    assert "Extend to consider the public interest" in html
    assert 'value="20"' in html  # the extension's length starts at the usual 20 working days

    # Sent empty, or with nonsense: the errors, never a failure.
    response = post(manager, f"{page}/clock")
    assert_errors(
        response,
        {"#clock_event": "Select what happened", "#clock_on-day": "Enter the date", "#clock_reason": "Enter"},
    )
    assert re.search(r'<details class="govuk-details"[^>]*\bopen\b', response.get_data(as_text=True))
    response = post(
        manager, f"{page}/clock", clock_event="resume", clock_reason="x",
        **{"clock_on-day": "31", "clock_on-month": "2", "clock_on-year": "2026"},
    )  # fmt: skip
    assert_errors(response, {"#clock_event": "Select what happened", "#clock_on-day": "The date must be a real date"})
    assert_errors(
        post(manager, f"{page}/public-interest-extension"),
        {
            "#pi_working_days": "Enter a number of working days from 1 to 20",
            "#pi_exemption": "Enter the exemption",
            "#pi_told_on-day": "Enter the date the requester was told",
        },
    )
    response = post(
        manager, f"{page}/public-interest-extension", pi_working_days="twenty", pi_exemption="s.36",
        **date_fields("pi_told_on", dt.date(2026, 3, 20)),
    )  # fmt: skip
    assert_errors(response, {"#pi_working_days": "Enter a number of working days from 1 to 20"})
    assert 'value="twenty"' in response.get_data(as_text=True)  # what was typed comes back

    def record(event: str, on: dt.date, reason: str) -> str:
        response = post(manager, f"{page}/clock", clock_event=event, clock_reason=reason, **date_fields("clock_on", on))
        assert response.status_code == 302 and response.headers["Location"] == f"{page}#deadline"
        return words(manager.get(page).get_data(as_text=True))

    text = record("clarification_asked", dt.date(2026, 3, 4), "Which year do you mean?")
    assert "Recorded. The clock is paused until the clarification arrives." in text
    assert "Open, clock paused" in text
    assert "Clock paused since 4 March 2026 until the clarification arrives (it was due 31 March 2026)" in text
    assert "The clarification arrived: the 20 working days start again from that day" in text
    assert "We sent a fees notice" not in text  # one thing at a time: the answer comes first

    text = record("clarification_received", dt.date(2026, 3, 10), "The year to March 2025.")
    # The date of receipt is now 10 March: Friday 10 April (St Patrick's Day, Good Friday and
    # Easter Monday not counted).
    assert "Recorded. The reply is due by 10 April 2026." in text
    assert "The clarification arrived on Tuesday 10 March 2026, which becomes the date of receipt" in text

    record("fees_notice", dt.date(2026, 3, 12), "£40 for printing and postage.")
    text = record("fee_paid", dt.date(2026, 3, 13), "Paid by card.")
    # Thursday 12 and Friday 13 March are not counted: Tuesday 14 April.
    assert "Recorded. The reply is due by 14 April 2026." in text
    assert (
        "A fees notice was sent on Thursday 12 March 2026 and the fee arrived on Friday 13 March 2026: the working "
        "days from the notice to the payment, both included, were not counted (FOIA s.10(2))."
    ) in text
    for row in (
        "4 March 2026 Clarification asked for: clock stopped Which year do you mean? Morgan Manager",
        "10 March 2026 Clarification received: the 20 working days start again The year to March 2025. Morgan Manager",
        "12 March 2026 Fees notice sent: clock stopped £40 for printing and postage. Morgan Manager",
        "13 March 2026 Fee paid: clock running again Paid by card. Morgan Manager",
    ):
        assert row in text, row

    response = post(
        manager, f"{page}/public-interest-extension", pi_working_days="20",
        pi_exemption="Section 36: prejudice to the effective conduct of public affairs",
        **date_fields("pi_told_on", dt.date(2026, 3, 20)),
    )  # fmt: skip
    assert response.status_code == 302
    text = words(manager.get(page).get_data(as_text=True))
    # 20 more working days from Tuesday 14 April, the early May holiday not counted: Wednesday 13 May.
    assert "Recorded. The reply is due by 13 May 2026." in text
    assert "Response due 13 May 2026 (54 days left)" in text
    assert "The 20th working day is Tuesday 14 April 2026. The time to consider the public interest was extended" in (
        text
    )
    assert (
        "20 March 2026 Extended by 20 working days to consider the public interest; requester told on this date "
        "Section 36: prejudice to the effective conduct of public affairs"
    ) in text
    assert "Extend to consider the public interest" not in text  # once only
    assert audit_actions(app, made.id).count("request deadline extended") == 1
    clock_changes = clock_changes_audited(app, made.id)
    for event in ("clarification_asked", "clarification_received", "fees_notice", "fee_paid"):
        assert clock_changes.count(event) == 1, event


# Forms sent back empty ---------------------------------------------------------------------------


def test_every_form_on_a_subject_access_request_sent_empty_says_what_to_correct(dpo, app, outbox):
    made = make_sar(app, london_today() - dt.timedelta(days=3))
    page = f"/staff/requests/{made.id}"
    assert_errors(
        post(dpo, f"{page}/identity"),
        {"#verified_how": "Select how the identity was verified", "#verified_on-day": "Enter the date the identity"},
    )
    response = post(dpo, f"{page}/clock")
    assert_errors(
        response,
        {
            "#clock_event": "Select what happened to the clock",
            "#clock_on-day": "Enter the date",
            "#clock_reason": "Enter",
        },
    )
    # The folded form comes back open, so the fields the summary links to are in view.
    assert re.search(r'<details class="govuk-details"[^>]*\bopen\b', response.get_data(as_text=True))
    assert_errors(
        post(dpo, f"{page}/extension"),
        {
            "#extension_months": "Select an extension of 1 or 2 months",
            "#extension_reason": "Enter why the request needs more time",
            "#notice_sent_on-day": "Enter the date the requester was told",
        },
    )
    assert_errors(post(dpo, f"{page}/withheld-names"), {"#withheld_name": "Enter the name to withhold"})
    assert_errors(
        post(dpo, f"{page}/close"),
        {"#outcome": "Select the outcome", "#closed_on-day": "Enter the date of the response", "#response": "Enter"},
    )
    # A date typed wrongly is reported as typed.
    response = post(
        dpo, f"{page}/identity", verified_how="seen_in_person", **{"verified_on-day": "31", "verified_on-month": "2",
                                                                   "verified_on-year": "2026"},
    )  # fmt: skip
    assert_errors(response, {"#verified_on-day": "The date the identity was verified must be a real date"})
    assert 'value="31"' in response.get_data(as_text=True)  # what was typed comes back
    # Sending the records page back with a record that was not found.
    response = post(dpo, f"{page}/records", records="999999")
    assert_errors(response, {"#records": "Choose only from the records found for this request"})
    assert not any(action.startswith("records chosen") for action in audit_actions(app, made.id))


def test_the_childs_confirmation_form_sent_empty_says_what_to_correct(dpo, app, outbox):
    today = london_today()
    # A parent asking for a 14-year-old's records: the child's confirmation is sought first.
    made = make_sar(app, today - dt.timedelta(days=2), subject_date_of_birth=dt.date(today.year - 14, 1, 1))
    page = f"/staff/requests/{made.id}"
    text = words(dpo.get(page).get_data(as_text=True))
    assert "The child’s confirmation" in text
    assert "The outcome of seeking the child's confirmation has not been recorded." in text
    assert_errors(
        post(dpo, f"{page}/child-confirmation"),
        {"#child_confirmation": "Select the outcome", "#child_confirmation_note": "Enter what the child said"},
    )
    response = post(dpo, f"{page}/child-confirmation", child_confirmation="agreed", child_confirmation_note="Agreed.")
    assert response.status_code == 302
    assert "Sought: the child agreed (recorded by Dana Protection)." in words(dpo.get(page).get_data(as_text=True))


def test_a_complaint_is_acknowledged_then_closed_and_shows_when_it_is_destroyed(dpo, app, outbox):
    today = london_today()
    received = today - dt.timedelta(days=12)
    made = make_complaint(app, received)
    page = f"/staff/requests/{made.id}"
    text = words(dpo.get(page).get_data(as_text=True))
    # Day 30 is 18 days from today; 13 December 2026 is a Sunday, so the Monday.
    assert made.due_on == dt.date(2026, 12, 14)
    assert f"Acknowledgement due {long_date(made.due_on)} (19 days left)" in text
    assert "A complaint is acknowledged within 30 days, counted from the day after it arrived" in text

    assert_errors(post(dpo, f"{page}/acknowledgement"), {"#acknowledged_on-day": "Enter the date the acknowledgement"})
    closure = {
        "outcome": "upheld",
        "response": "We apologised and corrected the address.",
        **date_fields("closed_on", today),
    }
    assert_errors(post(dpo, f"{page}/close", **closure), {"#outcome": "Record the acknowledgement before closing"})

    sent_on = today - dt.timedelta(days=10)
    assert post(dpo, f"{page}/acknowledgement", **date_fields("acknowledged_on", sent_on)).status_code == 302
    text = words(dpo.get(page).get_data(as_text=True))
    assert f"Acknowledged on {long_date(sent_on)} (was due by {long_date(made.due_on)})" in text
    assert f"To be answered by {long_date(sent_on + dt.timedelta(days=30))}" in text
    assert "Record acknowledgement" not in text

    response = post(dpo, f"{page}/close", **closure)
    assert response.status_code == 302 and response.headers["Location"] == page
    text = words(dpo.get(page).get_data(as_text=True))
    destroyed = add_years(today, app.config["RETENTION_YEARS"])
    assert "Outcome Upheld" in text
    assert f"Date of the response {long_date(today)}" in text
    assert "Time to respond Answered in 12 calendar days from receipt, within the deadline." in text
    assert f"Records destroyed on {long_date(destroyed)}" in text
    assert "Closed by Dana Protection" in text
    assert "Close the request" not in text
    assert listed(dpo, "?view=closed") == [made.reference]
    assert audit_actions(app, made.id).count("information request closed") == 1


def test_closing_an_foi_request_partly_withheld_needs_the_exemptions_and_shows_the_time_taken(manager, app, outbox):
    today = london_today()
    received = today - dt.timedelta(days=14)
    made = make_foi(app, received)
    page = f"/staff/requests/{made.id}"
    closure = {
        "outcome": "partly_withheld",
        "response": "Sent the totals; staff names withheld.",
        **date_fields("closed_on", today),
    }
    response = post(manager, f"{page}/close", **closure)
    assert_errors(response, {"#exemptions": "Enter the exemptions relied on for what was withheld"})
    html = response.get_data(as_text=True)
    assert "Sent the totals; staff names withheld." in html  # what was typed is kept
    assert re.search(r'value="partly_withheld"\s+checked', html) or re.search(
        r'checked[^>]*value="partly_withheld"', html
    )

    response = post(manager, f"{page}/close", exemptions="Section 40(2), personal information", **closure)
    assert response.status_code == 302
    counted = sum(UK.is_working_day(received + dt.timedelta(days=n)) for n in range(1, 15))
    text = words(manager.get(page).get_data(as_text=True))
    assert "Outcome Information provided in part, the rest withheld under an exemption" in text
    assert "Exemptions relied on Section 40(2), personal information" in text
    assert f"Time to respond Answered in {counted} working days from receipt, within the deadline." in text
    destroyed = add_years(today, app.config["RETENTION_YEARS"])
    assert f"Records destroyed on {long_date(destroyed)}" in text
    assert "Closed by Morgan Manager" in text


# A subject access request from receipt to the response -------------------------------------------


@pytest.fixture
def family_casework(app, team, outbox) -> tuple[int, str]:
    """A self-referral for Siân, accepted into a case whose note names a neighbour and whose
    consent names a school; returns the referral's id and reference."""
    submit_referral(app, "self", self_referral_answers())
    with app.app_context():
        referral = db.session.scalars(db.select(Referral)).one()
        worker = Actor(team.caseworker.id, WHERE, clock.now())
        today = london_today()
        case = triage.accept(referral, worker, today, 6)
        casework.add_note(case, f"Met Zoë and Siân. Their neighbour {NEIGHBOUR} came along to help.", worker)
        record_case_consent(
            case, CaseConsent("parent_carer", today, "written", True, ["Hillside Academy"], None, ""), CHILD_BORN,
            worker, today, 6,
        )  # fmt: skip
        found = (referral.id, referral.reference)
        db.session.remove()
    return found


def test_a_subject_access_request_is_verified_its_records_chosen_and_its_response_downloaded(app, dpo, family_casework):
    referral_id, referral_reference = family_casework
    today = london_today()
    made = make_sar(app, today - dt.timedelta(days=2))
    page = f"/staff/requests/{made.id}"

    text = words(dpo.get(page).get_data(as_text=True))
    assert "Not verified yet. Nothing is released until it is." in text
    assert "The requester's identity has not been verified." in text
    assert "Make the requester’s copy (PDF)" not in text

    response = post(dpo, f"{page}/identity", verified_how="photo_id_and_address", **date_fields("verified_on", today))
    assert response.status_code == 302 and response.headers["Location"] == f"{page}#identity"
    text = words(dpo.get(page).get_data(as_text=True))
    assert f"Verified on {long_date(today)} by Dana Protection" in text
    assert "Not verified yet" not in text
    assert subject_access.VERIFIED_HOW_LABELS["photo_id_and_address"] in text

    records = dpo.get(f"{page}/records")
    assert records.status_code == 200
    html = records.get_data(as_text=True)
    assert f'name="records" type="checkbox" value="{referral_id}"' in html
    text = words(html)
    assert f"{referral_reference}: {CHILD}, born {long_date(CHILD_BORN)}" in text
    assert "Matched on name and date of birth and the requester's email address." in text
    assert " checked" not in html.split('type="checkbox"', 1)[1].split(">", 1)[0]

    response = post(dpo, f"{page}/records", records=str(referral_id))
    assert response.status_code == 302 and response.headers["Location"] == f"{page}#records"
    assert re.search(rf'value="{referral_id}"[^>]*\schecked', dpo.get(f"{page}/records").get_data(as_text=True))

    response = post(dpo, f"{page}/withheld-names", withheld_name=NEIGHBOUR)
    assert response.status_code == 302 and response.headers["Location"] == f"{page}#withheld"
    text = words(dpo.get(page).get_data(as_text=True))
    assert "1 referral (with its case, where one was opened) chosen." in text
    assert f"{NEIGHBOUR} Remove {NEIGHBOUR}" in text
    assert "Make the requester’s copy (PDF)" in text
    assert "Make our copy with the redaction log (PDF)" in text

    response = download_when_made(dpo, post(dpo, f"{page}/response", copy="requester"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{made.reference}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF-")
    requester_copy = pdf_text(response.data)
    assert "Priya" not in requester_copy and "Raman" not in requester_copy
    assert "Hillside Academy" not in requester_copy  # named in consent: a third party
    assert "[withheld]" in requester_copy
    assert "Met Zoë and Siân" in requester_copy
    assert made.reference in requester_copy
    assert "Redaction log" not in requester_copy

    response = download_when_made(dpo, post(dpo, f"{page}/response", copy="team"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{made.reference}-data-protection-copy.pdf"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    team_copy = pdf_text(response.data)
    assert "Redaction log" in team_copy and "not for release" in team_copy
    assert "Another person's name" in team_copy
    assert "Priya" not in team_copy

    actions = audit_actions(app, made.id)
    assert [actions.count(action) for action in (REQUESTED, MADE, DOWNLOADED)] == [2, 2, 2]
    with app.app_context():
        details = list(
            db.session.scalars(
                db.select(AuditEntry.detail)
                .where(AuditEntry.action == MADE, AuditEntry.record_id == made.id)
                .order_by(AuditEntry.sequence)
            )
        )
        db.session.remove()
    assert [detail.split(";")[0] for detail in details] == ["requester copy", "team copy"]
    assert all("1 records" in detail for detail in details)
    for step in (
        "requester identity verified",
        "records searched for a subject access request",
        "records chosen for a subject access request",
        "name withheld from a subject access response",
    ):
        assert step in actions, step

    # Records sent: the request closes, and its page shows when it will be destroyed.
    closure = {"outcome": "records_sent", "response": "Sent by post.", **date_fields("closed_on", today)}
    assert post(dpo, f"{page}/close", **closure).status_code == 302
    text = words(dpo.get(page).get_data(as_text=True))
    assert f"Records destroyed on {long_date(add_years(today, app.config['RETENTION_YEARS']))}" in text


def test_the_response_of_an_unverified_request_is_refused_with_the_reason_and_not_audited(app, dpo, family_casework):
    referral_id, _ = family_casework
    made = make_sar(app, london_today() - dt.timedelta(days=2))
    page = f"/staff/requests/{made.id}"
    # Records chosen and a name withheld, but the identity is not verified.
    assert post(dpo, f"{page}/records", records=str(referral_id)).status_code == 302
    response = post(dpo, f"{page}/response", copy="requester")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Content-Disposition" not in response.headers
    html = response.get_data(as_text=True)
    reason = "The response cannot be made yet: the requester's identity has not been verified"
    assert error_summary(html) == [("#response-pdf", reason)]
    assert len(re.findall(r'\bid="response-pdf"', html)) == 1
    assert reason in words(html.split('id="response-pdf"', 1)[1])  # beside the response, as well
    assert REQUESTED not in audit_actions(app, made.id)

    # With nothing chosen either, both reasons are given.
    other = make_sar(app, london_today() - dt.timedelta(days=1))
    response = post(dpo, f"/staff/requests/{other.id}/response", copy="team")
    assert response.status_code == 400
    [(_, message)] = error_summary(response.get_data(as_text=True))
    assert message == (
        "The response cannot be made yet: the requester's identity has not been verified; no records have been chosen"
    )
    assert REQUESTED not in audit_actions(app, other.id)


def test_removing_a_name_that_is_not_on_the_request_is_refused_and_not_audited(app, dpo, team, outbox):
    first = make_sar(app, london_today() - dt.timedelta(days=2))
    second = make_sar(app, london_today() - dt.timedelta(days=2))
    in_database(app, second, lambda found, who: subject_access.add_withheld_name(found, NEIGHBOUR, who), team.dpo)
    with app.app_context():
        name_id = db.session.get(InformationRequest, second.id).withheld_names[0].id
        db.session.remove()
    response = post(dpo, f"/staff/requests/{first.id}/withheld-names/{name_id}/remove")
    assert "withheld name removed" not in audit_actions(app, first.id)
    assert response.status_code == 404


def test_every_character_of_a_name_in_the_response_is_drawn(app, dpo, team, family_casework, caplog):
    referral_id, _ = family_casework
    today = london_today()
    made = make_sar(app, today - dt.timedelta(days=2))

    def ready(found: InformationRequest, who: Actor) -> None:
        subject_access.verify_identity(found, "seen_in_person", today, who, today)
        subject_access.choose_records(found, [referral_id], who)

    in_database(app, made, ready, team.dpo)
    with caplog.at_level("WARNING", logger="weasyprint"):
        response = download_when_made(dpo, post(dpo, f"/staff/requests/{made.id}/response", copy="requester"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert CHILD in pdf_text(response.data)  # the text layer has it; the question is the drawing
    missing = [record.getMessage() for record in caplog.records if ".notdef" in record.getMessage()]
    assert not missing, missing


def withholdings_listed(html: str) -> list[tuple[str, str, str, str]]:
    """(where, what kind, as written, shown as) for each row of the request page's withholdings table."""
    table = html.split('id="withholdings"', 1)[1].split("</table>", 1)[0]
    body = table.split('<tbody class="govuk-table__body">', 1)[1]
    return [
        tuple(words(cell) for cell in re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.DOTALL))
        for row in body.split('<tr class="govuk-table__row">')[1:]
    ]


def test_the_preview_lists_each_automatic_withholding(app, dpo, team, family_casework):
    referral_id, _ = family_casework
    today = london_today()
    with app.app_context():
        case = db.session.scalars(db.select(Case)).one()
        casework.add_note(
            case,
            "Priya rang from +33 6 12 34 56 78 and wrote from priya [at] example [dot] org. "
            "Ms Raman will come on 03.03.2026 at 10.30.",
            Actor(team.caseworker.id, WHERE, clock.now()),
        )
        db.session.remove()
    made = make_sar(app, today - dt.timedelta(days=2))
    page = f"/staff/requests/{made.id}"
    assert 'id="withholdings"' not in dpo.get(page).get_data(as_text=True)  # nothing chosen: nothing to check

    def ready(found: InformationRequest, who: Actor) -> None:
        subject_access.verify_identity(found, "seen_in_person", today, who, today)
        subject_access.choose_records(found, [referral_id], who)
        subject_access.add_withheld_name(found, NEIGHBOUR, who)

    in_database(app, made, ready, team.dpo)
    html = dpo.get(page).get_data(as_text=True)
    note = f"Case notes: case note of {long_date(today)}, note"
    consent = f"Consent: consent given of {long_date(today)}, who information may be shared with"
    name, telephone, email = redaction.THIRD_PARTY_NAME, redaction.TELEPHONE, redaction.EMAIL
    assert sorted(withholdings_listed(html)) == sorted(
        [
            (note, name, NEIGHBOUR, "[withheld]"),
            (note, name, "Priya", "[withheld]"),
            (note, telephone, "+33 6 12 34 56 78", "[withheld]"),
            (note, email, "priya [at] example [dot] org", "[withheld]"),
            (note, name, "Ms Raman", "[withheld]"),
            (consent, name, "Hillside Academy", "[withheld]"),
        ]
    )
    assert "6 items withheld" in words(html)

    # The PDFs show the replacement, never the words withheld, and keep the dates and times.
    requester_copy = " ".join(
        pdf_text(download_when_made(dpo, post(dpo, f"{page}/response", copy="requester")).data).split()
    )
    team_copy = " ".join(pdf_text(download_when_made(dpo, post(dpo, f"{page}/response", copy="team")).data).split())
    for copy in (requester_copy, team_copy):
        for withheld in ("Priya", "Raman", "+33", "[at]", "example [dot]", "Hillside"):
            assert withheld not in copy, withheld
        assert "[withheld] rang from [withheld] and wrote from [withheld]." in copy
        assert "[withheld] will come on 03.03.2026 at 10.30." in copy
    with app.app_context():
        detail = db.session.scalars(
            db.select(AuditEntry.detail).where(AuditEntry.action == MADE, AuditEntry.record_id == made.id)
        ).first()
        db.session.remove()
    assert detail is not None and detail.endswith("6 items withheld")


def test_a_manager_finds_an_foi_request_by_its_code_without_the_prefix(app, manager):
    foi = make_foi(app, london_today())
    code = foi.reference.removeprefix("FOI-").replace("-", "").lower()
    response = manager.get(f"/staff/requests?reference={code}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/staff/requests/{foi.id}")


def test_a_long_queue_is_split_into_pages_that_keep_the_view(app, dpo):
    for _ in range(requests.PAGE_SIZE + 2):
        make_complaint(app, london_today())
    first = dpo.get("/staff/requests?view=open&kind=complaint").get_data(as_text=True)
    assert f"{requests.PAGE_SIZE + 2} requests (page 1 of 2)" in words(first)
    assert 'href="/staff/requests?page=2&amp;view=open&amp;kind=complaint"' in first
    assert "govuk-pagination__prev" not in first
    second = dpo.get("/staff/requests?page=2&view=open&kind=complaint").get_data(as_text=True)
    assert len(queue_rows(second)) == 2
    assert 'href="/staff/requests?page=1&amp;view=open&amp;kind=complaint"' in second
    assert "govuk-pagination__next" not in second
