"""The three public request journeys: subject access, Freedom of Information and data protection
complaints, each form → check your answers → confirmation. The clock stands at 10am in London on
10 March 2026 unless a test moves it to the day a request arrives, so the dates the confirmation
pages show follow from the day the test set."""

import datetime as dt
import re

import pytest

from portal.extensions import db
from portal.models import InformationRequest
from portal.services import references
from portal.services.clock import long_date
from tests.clock import clock_on, london
from tests.conftest import CheckingClient, build_app
from tests.journeys import (
    complaint_answers,
    error_summary,
    foi_answers,
    hidden_value,
    records_answers,
    request_send,
    request_start,
    self_referral_answers,
    send,
    start,
)

ANSWERS = {"records": records_answers, "foi": foi_answers, "complaint": complaint_answers}
DECLARATION_MISSING = "Confirm that you are the person the records are about, or are entitled to ask for them"


def stored() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(InformationRequest))


clock_on_today = clock_on(dt.date(2026, 3, 10))


def received_at(time_machine, moment: dt.datetime) -> None:
    """Set the clock to the moment the service will record the request as received."""
    time_machine.move_to(moment, tick=False)


def sent_request(client, kind: str, answers: dict) -> tuple[InformationRequest, str]:
    sent = request_send(client, kind, request_start(client, kind, answers))
    assert sent.status_code == 302 and sent.headers["Location"] == f"/requests/{kind}/confirmation"
    confirmation = client.get(sent.headers["Location"])
    assert confirmation.status_code == 200
    return db.session.scalars(db.select(InformationRequest)).one(), confirmation.get_data(as_text=True)


def assert_acknowledged_without_details(outbox, to: str, reference: str, details: list[str]) -> None:
    [mail] = outbox
    body = mail.get_content()
    assert mail["To"] == to
    assert reference in body
    for personal in details:
        assert personal not in body and personal not in mail["Subject"]


# Subject access


def test_a_parent_asks_for_their_childs_records(client, app_context, outbox, time_machine):
    # Saturday 31 January: a month on has no 31st, and 28 February 2026 is a Saturday.
    received_at(time_machine, dt.datetime(2026, 1, 31, 10, 0, tzinfo=dt.UTC))
    check = request_start(client, "records", records_answers())
    html = check.get_data(as_text=True)
    assert "Check your answers before sending your request" in html
    assert "Siân 李 Ó Briain" in html and "14 March 2010" in html and "BA1 1AA" in html
    assert "I am the person the records are about, or I am entitled to ask for them" in html
    assert stored() == 0, "nothing is stored before the person sends the request"

    sent = request_send(client, "records", check)
    assert sent.status_code == 302
    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    request = db.session.scalars(db.select(InformationRequest)).one()
    assert re.fullmatch(r"SAR-[0-9A-Z]{4}-[0-9A-Z]{4}", request.reference)
    assert request.reference in confirmation
    assert "2 March 2026" in confirmation and "one calendar month" in confirmation
    assert "check your identity" in confirmation and "2 more months" in confirmation
    assert "a child who is 12 or over" in confirmation

    assert request.kind == "sar" and request.status == "open"
    assert request.received_on == dt.date(2026, 1, 31) and request.due_on == dt.date(2026, 3, 2)
    assert request.acting_as == "parent_carer" and request.authority is None
    assert request.requester_name == "Zoë Ó Briain-Nakamura"
    assert request.subject_name == "Siân 李 Ó Briain" and request.subject_other_names == "Siân Nakamura"
    assert request.subject_date_of_birth == dt.date(2010, 3, 14)
    assert request.details == "Everything you hold about my daughter,\nincluding notes from the meeting in March 2026."
    assert (
        request.reply_by == "letter" and request.address == "1 Example Street\nBath" and request.postcode == "BA1 1AA"
    )
    assert request.email == "zoe.family@example.com" and request.phone == "07700 900982"
    assert request.identity_check == "documents" and request.reference_given is None
    assert [event.event for event in request.clock_events] == ["start"]

    assert_acknowledged_without_details(
        outbox, "zoe.family@example.com", request.reference, ["Siân", "Zoë", "Everything", "March", "Bath", "2010"]
    )


def test_someone_asks_for_their_own_records_quoting_a_referral(client, app_context):
    referral = references.generate("SPS")
    typed = str(referral).lower().replace("-", " ")
    request, _ = sent_request(
        client,
        "records",
        records_answers(
            acting_as="self",
            full_name="Anna Kowalska",
            subject_name="Someone typed here anyway",
            subject_other_names="",
            subject_date_of_birth=["2", "9", "1968"],
            reference_given=typed,
            preferred_contact="email",
            identity_check="known_to_service",
        ),
    )
    assert request.acting_as == "self"
    assert request.subject_name == "Anna Kowalska", "a person's own records are asked for in their own name"
    assert request.subject_other_names is None
    assert request.subject_date_of_birth == dt.date(1968, 9, 2), "an adult's own records, not the 0–25 rule"
    assert request.reference_given == str(referral)
    assert request.reply_by == "email" and request.identity_check == "known_to_service"


def test_someone_acting_with_authority_says_how(client, app_context):
    request, _ = sent_request(
        client,
        "records",
        records_answers(acting_as="authorised", authority="Lasting power of attorney for property and affairs"),
    )
    assert request.acting_as == "authorised"
    assert request.authority == "Lasting power of attorney for property and affairs"


RECORDS_PAGES_AND_THEIR_PROBLEMS_WHEN_EMPTY = [
    ("/requests/records", [("#acting_as", "Select who is asking for the records")]),
    (
        "/requests/records/authority",
        [("#authority", "Tell us how you are entitled to act for them, for example a lasting power of attorney")],
    ),
    (
        "/requests/records/whose-records",
        [
            ("#subject_name", "Enter the full name of the person whose records you want"),
            ("#subject_date_of_birth-day", "Enter date of birth"),
        ],
    ),
    ("/requests/records/your-name", [("#full_name", "Enter your full name")]),
    ("/requests/records/reply-method", [("#preferred_contact", "Select how you would like to receive the copy")]),
    ("/requests/records/records-wanted", [("#wanted", "Enter the information you want")]),
    ("/requests/records/identity", [("#identity_check", "Select how we can check your identity")]),
]


@pytest.mark.parametrize(("path", "problems"), RECORDS_PAGES_AND_THEIR_PROBLEMS_WHEN_EMPTY)
def test_each_records_question_page_checks_only_its_own_questions(client, app_context, path, problems):
    token = client.csrf_token("/requests/records")
    client.post("/requests/records", data={"acting_as": "authorised", "csrf_token": token})
    response = client.post(path, data={"subject_date_of_birth": ["", "", ""], "csrf_token": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert error_summary(html) == problems
    assert "<title>Error: " in html
    assert stored() == 0


def records_pages_walked(client, answers: dict) -> list[str]:
    token = client.csrf_token("/requests/records")
    path, visited = "/requests/records", []
    while not path.endswith("/check"):
        visited.append(path.removeprefix("/requests/records"))
        response = client.post(path, data={**answers, "csrf_token": token})
        assert response.status_code == 303, (path, error_summary(response.get_data(as_text=True)))
        path = response.headers["Location"]
    return visited


def test_a_parent_is_asked_whose_records_then_about_themselves(client, app_context):
    assert records_pages_walked(client, records_answers()) == [
        "",
        "/whose-records",
        "/your-name",
        "/reply-method",
        "/contact-details",
        "/records-wanted",
        "/identity",
    ]


def test_someone_asking_for_their_own_records_is_never_asked_whose_records(client, app_context):
    answers = records_answers(acting_as="self", subject_name="Someone Else")
    assert records_pages_walked(client, answers) == [
        "",
        "/about-you",
        "/reply-method",
        "/contact-details",
        "/records-wanted",
        "/identity",
    ]
    check = client.get("/requests/records/check").get_data(as_text=True)
    assert "Someone Else" not in check and "Your records" in check
    assert 'href="/requests/records/about-you?return=check#subject_date_of_birth-day"' in check
    assert request_send(client, "records", client.get("/requests/records/check")).status_code == 302
    request = db.session.scalars(db.select(InformationRequest)).one()
    assert request.acting_as == "self" and request.subject_name == records_answers()["full_name"], "their own"


def test_someone_acting_with_authority_is_asked_how(client, app_context):
    answers = records_answers(acting_as="authorised", authority="Lasting power of attorney")
    assert records_pages_walked(client, answers)[:3] == ["", "/authority", "/whose-records"]
    check = client.get("/requests/records/check").get_data(as_text=True)
    assert "Lasting power of attorney" in check


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"acting_as": "parent_carer", "subject_name": ""},
            ("#subject_name", "Enter the full name of the person whose records you want"),
        ),
        (
            {"acting_as": "authorised", "authority": "Their solicitor", "subject_name": ""},
            ("#subject_name", "Enter the full name of the person whose records you want"),
        ),
        (
            {"acting_as": "authorised", "authority": ""},
            ("#authority", "Tell us how you are entitled to act for them, for example a lasting power of attorney"),
        ),
        (
            {"preferred_contact": "email", "email": ""},
            ("#email", "Enter an email address, or choose another way for us to contact you"),
        ),
        (
            {"preferred_contact": "letter", "address_town": ""},
            ("#address_town", "Enter an address and postcode, or choose another way for us to contact you"),
        ),
        (
            {"preferred_contact": "letter", "postcode": ""},
            ("#postcode", "Enter an address and postcode, or choose another way for us to contact you"),
        ),
    ],
)
def test_the_records_forms_cross_question_rules(client, app_context, changes, expected):
    response = request_start(client, "records", records_answers(**changes))
    assert error_summary(response.get_data(as_text=True)) == [expected]
    assert stored() == 0


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (["14", "3", "2099"], "Date of birth must be in the past"),
        (["14", "3", "0210"], "Date of birth must be the same as or after 1 January 1900"),
        (["31", "2", "2010"], "Date of birth must be a real date"),
        (["14", "", "2010"], "Date of birth must include a month"),
    ],
)
def test_the_date_of_birth_must_be_a_real_past_date(client, app_context, typed, expected):
    response = request_start(client, "records", records_answers(subject_date_of_birth=typed))
    assert error_summary(response.get_data(as_text=True)) == [("#subject_date_of_birth-day", expected)]


def test_a_quoted_reference_must_be_a_referral_or_records_reference(client, app_context):
    good = str(references.generate("SAR"))
    mistyped = good[:-1] + ("0" if good[-1] != "0" else "1")
    cases = [
        ("not a reference", "Enter a reference in the format SPS-7K3Q-9XM2: SPS then 8 letters and numbers"),
        (mistyped, "That reference has a mistake in it: check each character and try again"),
        (str(references.generate("FOI")), "Enter a reference that starts with SPS or SAR, like SPS-7K3Q-9XM2"),
        ("SAR-" + "7" * 20, "The reference must be 20 characters or fewer"),
    ]
    for typed, message in cases:
        response = request_start(client, "records", records_answers(reference_given=typed))
        assert error_summary(response.get_data(as_text=True)) == [("#reference_given", message)], typed
    assert "Check your answers" in request_start(client, "records", records_answers(reference_given=good)).get_data(
        as_text=True
    )


def test_without_the_declaration_nothing_is_stored(client, app_context, outbox):
    check = request_start(client, "records", records_answers())
    refused = request_send(client, "records", check, declare=False)
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert error_summary(html) == [("#declared", DECLARATION_MISSING)]
    assert "<title>Error: " in html and 'id="declared"' in html
    assert stored() == 0 and outbox == []

    # The refusal page carries the same sealed answers, so ticking the box there sends them.
    assert request_send(client, "records", refused).status_code == 302
    assert stored() == 1


# Freedom of Information


def test_someone_makes_a_freedom_of_information_request(client, app_context, outbox, time_machine):
    # Friday 18 December 2026: Christmas, Boxing Day (observed), New Year's Day and Scotland's
    # 4 January holiday are not counted.
    received_at(time_machine, dt.datetime(2026, 12, 18, 15, 30, tzinfo=dt.UTC))
    form = client.get("/requests/foi").get_data(as_text=True)
    assert 'name="phone"' not in form, "a written reply needs no telephone number"
    assert 'href="/requests/records"' in form, "personal information is asked for with the records form"

    check = request_start(client, "foi", foi_answers(phone="07700 900123"))
    html = check.get_data(as_text=True)
    assert "Check your answers before sending your request" in html and "Telephone number" not in html
    assert 'name="declared"' not in html

    sent = request_send(client, "foi", check, declare=False)
    assert sent.status_code == 302
    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    request = db.session.scalars(db.select(InformationRequest)).one()
    assert re.fullmatch(r"FOI-[0-9A-Z]{4}-[0-9A-Z]{4}", request.reference)
    assert request.reference in confirmation
    assert "21 January 2027" in confirmation and "20 working days" in confirmation
    assert "bank holidays in any part of the UK" in confirmation

    assert request.kind == "foi" and request.due_on == dt.date(2027, 1, 21)
    assert request.details == "How many families did the service support in 2025, by type of need?"
    assert request.requester_name == "Morgan Reyes" and request.reply_by == "email"
    assert request.email == "morgan.reyes@example.net" and request.phone is None
    assert request.acting_as is None and request.subject_name is None

    assert_acknowledged_without_details(
        outbox, "morgan.reyes@example.net", request.reference, ["Morgan", "families", "2025"]
    )


def test_an_empty_foi_form_lists_every_problem_in_page_order(client, app_context):
    response = request_start(client, "foi", {})
    assert error_summary(response.get_data(as_text=True)) == [
        ("#wanted", "Enter the information you want"),
        ("#full_name", "Enter your full name"),
        ("#preferred_contact", "Select how you would like us to reply"),
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"preferred_contact": "email", "email": ""},
            ("#email", "Enter an email address, or choose another way for us to contact you"),
        ),
        (
            {"preferred_contact": "letter"},
            ("#address_line_1", "Enter an address and postcode, or choose another way for us to contact you"),
        ),
        ({"preferred_contact": "phone"}, ("#preferred_contact", "Select how you would like us to reply")),
    ],
)
def test_an_foi_reply_needs_the_details_for_it(client, app_context, changes, expected):
    response = request_start(client, "foi", foi_answers(**changes))
    assert error_summary(response.get_data(as_text=True)) == [expected]


# Complaints


def test_someone_complains_about_how_their_data_was_handled(client, app_context, outbox, time_machine):
    # Day 30 from the day after Tuesday 10 March 2026 is Thursday 9 April, a working day.
    received_at(time_machine, dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC))
    referral = references.generate("SPS")
    check = request_start(client, "complaint", complaint_answers(reference_given=str(referral)))
    html = check.get_data(as_text=True)
    assert "Check your answers before sending your complaint" in html and "old address" in html

    sent = request_send(client, "complaint", check, declare=False)
    assert sent.status_code == 302
    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    request = db.session.scalars(db.select(InformationRequest)).one()
    assert re.fullmatch(r"DPC-[0-9A-Z]{4}-[0-9A-Z]{4}", request.reference)
    assert request.reference in confirmation and "Complaint sent" in confirmation
    assert "9 April 2026" in confirmation and "within 30 days" in confirmation
    assert re.search(r'<a [^>]*href="https://ico\.org\.uk/[^"]*" rel="noopener[^"]*">ico\.org\.uk</a>', confirmation)

    assert request.kind == "complaint" and request.due_on == dt.date(2026, 4, 9)
    assert request.details == "A letter about my son's exclusion was sent to my old address."
    assert request.remedy_wanted == "Update my address and tell me who else saw the letter."
    assert request.reference_given == str(referral)
    assert request.reply_by == "phone" and request.phone == "07700 900123"

    assert_acknowledged_without_details(
        outbox, "anna.k@example.com", request.reference, ["Anna", "letter", "exclusion", str(referral)]
    )


def test_a_complaint_needs_no_remedy_or_reference(client, app_context):
    request, _ = sent_request(client, "complaint", complaint_answers(remedy_wanted="", reference_given=""))
    assert request.remedy_wanted is None and request.reference_given is None


def test_an_empty_complaint_form_lists_every_problem_in_page_order(client, app_context):
    response = request_start(client, "complaint", {})
    assert error_summary(response.get_data(as_text=True)) == [
        ("#full_name", "Enter your full name"),
        ("#preferred_contact", "Select how you would like us to contact you"),
        ("#complaint", "Enter what went wrong"),
    ]


def test_a_complaint_by_phone_needs_a_phone_number(client, app_context):
    response = request_start(client, "complaint", complaint_answers(phone=""))
    assert error_summary(response.get_data(as_text=True)) == [
        ("#phone", "Enter a telephone number, or choose another way for us to contact you")
    ]


# The dates the confirmation pages promise (design 6.5, 6.6)


@pytest.mark.parametrize(
    ("nation", "due"),
    [
        # Tuesday 2 December 2025: a month on is Friday 2 January 2026, a working day in England and
        # Wales; in Scotland it is a bank holiday, so Monday 5 January.
        ("england", dt.date(2026, 1, 2)),
        ("scotland", dt.date(2026, 1, 5)),
    ],
)
def test_a_subject_access_request_sent_on_2_december_2025_is_due_as_the_nation_s_holidays_say(
    app, client, app_context, outbox, time_machine, monkeypatch, nation, due
):
    time_machine.move_to(london(dt.date(2025, 12, 2), 14), tick=False)
    monkeypatch.setitem(app.config, "SERVICE_NATION", nation)
    request, confirmation = sent_request(client, "records", records_answers())
    assert request.received_on == dt.date(2025, 12, 2)
    assert f"we will reply by <strong>{long_date(due)}</strong>" in confirmation
    assert request.due_on == due


def test_a_complaint_sent_on_25_november_2026_is_acknowledged_after_christmas(
    client, app_context, outbox, time_machine
):
    # Day 30 is Christmas Day (a Friday); the weekend; Boxing Day is kept on Monday 28th.
    time_machine.move_to(london(dt.date(2026, 11, 25), 16), tick=False)
    request, confirmation = sent_request(client, "complaint", complaint_answers())
    assert request.due_on == dt.date(2026, 12, 29)
    assert "acknowledge your complaint by <strong>29 December 2026</strong>" in confirmation
    assert "counted from the day after we received it" in confirmation


def test_a_request_sent_just_after_midnight_is_received_on_that_london_day(client, app_context, outbox, time_machine):
    # 12:30am on Friday 2 October 2026 in London (BST) is 11:30pm on Thursday 1st in UTC; the
    # request arrived on Friday 2nd, so day one is Monday 5th and day 20 Friday 30 October (from
    # Thursday it would have been the 29th).
    time_machine.move_to(london(dt.date(2026, 10, 2), 0, 30), tick=False)
    request, confirmation = sent_request(client, "foi", foi_answers())
    assert request.received_on == dt.date(2026, 10, 2)
    assert "We will reply by <strong>30 October 2026</strong>" in confirmation


# What every request journey shares


@pytest.mark.parametrize("kind", ["records", "foi", "complaint"])
def test_sending_the_same_page_twice_makes_one_request(client, app_context, outbox, kind):
    check = request_start(client, kind, ANSWERS[kind]())
    kept = {cookie.key: cookie.value for cookie in client._cookies.values() if cookie.key.startswith("sps_answers")}
    first = request_send(client, kind, check)
    first_reference = client.get(first.headers["Location"]).get_data(as_text=True)
    second = request_send(client, kind, check)  # Back, then send again: the answers went with the first
    for name, value in kept.items():  # a double click: the second press carries the same answers
        client.set_cookie(name, value, path=f"/requests/{kind}")
    third = request_send(client, kind, check)
    assert first.status_code == second.status_code == third.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == third.headers["Location"]
    request = db.session.scalars(db.select(InformationRequest)).one()
    assert request.reference in first_reference
    assert client.get(second.headers["Location"]).status_code == 200
    assert len(outbox) == 1, "the request is acknowledged once"


@pytest.mark.parametrize("kind", ["records", "foi", "complaint"])
def test_a_filled_honeypot_is_refused(client, app_context, kind):
    response = request_start(client, kind, ANSWERS[kind](website="http://spam.example"))
    assert error_summary(response.get_data(as_text=True)) == [
        ("#website", "Leave the field labelled ‘Leave this field empty’ empty")
    ]
    assert stored() == 0


@pytest.mark.parametrize("kind", ["records", "foi", "complaint"])
def test_every_change_link_returns_to_its_question_then_to_the_check_page(client, app_context, kind):
    check = request_start(client, kind, ANSWERS[kind]()).get_data(as_text=True)
    targets = re.findall(r'<a class="govuk-link" href="(/requests/[^"]+\?return=check)#([^"]+)">Change', check)
    assert targets
    for url, field in targets:
        page = client.get(url).get_data(as_text=True)
        assert f'id="{field}"' in page, field
        assert 'name="full_name"' not in page or ANSWERS[kind]()["full_name"] in page, "every answer is kept"
        assert 'href="/requests/' + kind + '/check"' in page, "Back returns to the check page"
        token = hidden_value(page, "csrf_token")
        returned = client.post(url, data={**ANSWERS[kind](), "csrf_token": token})
        assert returned.status_code == 303 and returned.headers["Location"] == f"/requests/{kind}/check", field
    assert stored() == 0


def test_a_changed_answer_is_the_one_sent(client, app_context):
    check = request_start(client, "records", records_answers()).get_data(as_text=True)
    [url] = re.findall(r'href="([^"#]+)#subject_name"', check)
    token = hidden_value(client.get(url).get_data(as_text=True), "csrf_token")
    client.post(url, data={**records_answers(subject_name="Siân Ó Briain"), "csrf_token": token})
    assert request_send(client, "records", client.get("/requests/records/check")).status_code == 302
    assert db.session.scalars(db.select(InformationRequest)).one().subject_name == "Siân Ó Briain"


@pytest.mark.parametrize("kind", ["records", "foi", "complaint"])
def test_forged_answers_are_refused_and_the_form_starts_again(client, app_context, kind):
    client.set_cookie(f"sps_answers_{kind}_0", "forged", path=f"/requests/{kind}")
    token = client.csrf_token(f"/requests/{kind}")
    response = client.post(f"/requests/{kind}/check", data={"csrf_token": token, "declared": "yes"})
    assert response.status_code == 303 and response.headers["Location"] == f"/requests/{kind}"
    assert "We could not find your answers" in client.get(f"/requests/{kind}").get_data(as_text=True)
    assert stored() == 0


def test_a_post_without_a_csrf_token_is_refused(client, app_context):
    assert client.post("/requests/foi", data=foi_answers()).status_code == 400


def test_confirmation_pages_show_only_their_own_reference(client, app_context):
    for kind in ANSWERS:
        response = client.get(f"/requests/{kind}/confirmation")
        assert response.status_code == 302 and response.headers["Location"] == "/"
    request, _ = sent_request(client, "records", records_answers())
    for other in ("/requests/foi/confirmation", "/requests/complaint/confirmation", "/refer/self/confirmation"):
        response = client.get(other)
        assert response.status_code == 302 and response.headers["Location"] == "/", other
    again = client.get("/requests/records/confirmation")  # its own page, which showed the reference once
    assert again.status_code == 200 and request.reference not in again.get_data(as_text=True)


def test_personal_details_are_encrypted_at_rest(client, app_context):
    sent_request(client, "records", records_answers())
    raw = db.session.execute(db.text("SELECT requester_name, subject_name, email, details FROM information_requests"))
    kept = " ".join(str(value) for row in raw for value in row)
    assert "Siân" not in kept and "Zoë" not in kept and "zoe.family" not in kept and "Everything" not in kept


@pytest.mark.parametrize("path", ["/", "/privacy"])
def test_the_start_and_privacy_pages_lead_to_the_request_forms(client, path):
    html = client.get(path).get_data(as_text=True)
    for kind in ANSWERS:
        assert f'href="/requests/{kind}"' in html


@pytest.mark.parametrize("kind", ["records", "foi", "complaint"])
def test_the_forms_are_never_cached(client, kind):
    assert client.get(f"/requests/{kind}").headers["Cache-Control"] == "no-store"


@pytest.fixture
def rate_limited_app(database_url):
    return build_app(database_url, RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="3 per minute")


def test_request_and_referral_forms_share_one_submission_budget(rate_limited_app):
    app = rate_limited_app
    app.test_client_class = CheckingClient
    browser = app.test_client()
    statuses = [
        start(browser, "self", self_referral_answers(child_name="")).status_code,
        request_start(browser, "foi", foi_answers(wanted="")).status_code,
        request_start(browser, "complaint", complaint_answers(complaint="")).status_code,
    ]
    limited = request_start(browser, "records", records_answers())
    assert statuses == [200, 200, 200] and limited.status_code == 429
    assert browser.get("/requests/records").status_code == 200, "reading the form is never limited"


def test_a_referral_still_confirms_after_a_request(client, app_context):
    sent_request(client, "foi", foi_answers())
    referral = send(client, "self", start(client, "self", self_referral_answers()))
    assert referral.status_code == 302
    assert "Referral sent" in client.get(referral.headers["Location"]).get_data(as_text=True)
