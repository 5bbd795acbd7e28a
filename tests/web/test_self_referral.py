import datetime as dt
import re

import pytest

from portal.extensions import db
from portal.models import InformationRequest, Person, Referral
from tests.clock import london
from tests.journeys import (
    complaint_answers,
    error_summary,
    foi_answers,
    hidden_value,
    professional_answers,
    records_answers,
    request_send,
    request_start,
    self_referral_answers,
    send,
    start,
)


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_parent_refers_their_child(client, app_context, outbox):
    check = start(client, "self", self_referral_answers())
    assert check.status_code == 200
    html = check.get_data(as_text=True)
    assert "Check your answers" in html
    assert "Siân 李 Ó Briain" in html
    assert "BA1 1AA" in html
    assert count(Referral) == 0, "nothing is stored before the person sends the referral"

    sent = send(client, "self", check)
    assert sent.status_code == 302
    confirmation = client.get(sent.headers["Location"])
    reference = Referral.query.one().reference
    assert reference in confirmation.get_data(as_text=True)

    referral = db.session.scalars(db.select(Referral)).one()
    assert referral.route == "self" and referral.privacy_notice_version == "1.0"
    assert {person.role for person in referral.people} == {"child", "parent_carer"}
    assert referral.person("child").full_name == "Siân 李 Ó Briain"

    [mail] = outbox
    body = mail.get_content()
    assert mail["To"] == "zoe.family@example.com"
    assert reference in body
    for personal in ("Siân", "Zoë", "Riverside", "Autism", "Bath"):
        assert personal not in body


def test_without_agreeing_to_the_privacy_notice_nothing_is_stored(client, app_context):
    check = start(client, "self", self_referral_answers())
    refused = send(client, "self", check, agree=False)
    assert refused.status_code == 200
    assert error_summary(refused.get_data(as_text=True)) == [
        ("#privacy_agreed", "Confirm you have read the privacy notice and agree to the service keeping these details")
    ]
    assert count(Referral) == 0


def test_sending_the_same_page_twice_makes_one_referral(client, app_context, outbox):
    check = start(client, "self", self_referral_answers())
    first = send(client, "self", check)
    second = send(client, "self", check)
    assert first.status_code == second.status_code == 302
    assert count(Referral) == 1
    assert len(outbox) == 1, "the referral is acknowledged once"


def test_change_returns_to_the_form_with_every_answer_kept(client, app_context):
    check = start(client, "self", self_referral_answers())
    change = re.search(r'href="(/refer/self\?return=check#child_name)"', check.get_data(as_text=True))
    assert change, "each row's Change link goes to the question"
    form = client.get(change.group(1))
    page = form.get_data(as_text=True)
    assert "Siân 李 Ó Briain" in page and "zoe.family@example.com" in page and 'value="2015"' in page
    assert 'action="/refer/self?return=check"' in page and 'href="/refer/self/check"' in page, "Back goes to the check"
    assert count(Referral) == 0

    # The form shown again carries a CSRF token of its own, so continuing from it works.
    token = hidden_value(page, "csrf_token")
    again = client.post(
        "/refer/self?return=check", data={**self_referral_answers(child_name="Siân Ó Briain"), "csrf_token": token}
    )
    assert again.status_code == 303 and again.headers["Location"] == "/refer/self/check"
    check = client.get("/refer/self/check")
    assert "Siân Ó Briain" in check.get_data(as_text=True)
    assert send(client, "self", check).status_code == 302
    assert db.session.scalars(db.select(Referral)).one().person("child").full_name == "Siân Ó Briain"


def test_the_check_page_has_its_own_url_so_refresh_and_back_never_resubmit(client, app_context):
    token = client.csrf_token("/refer/self")
    posted = client.post("/refer/self", data={**self_referral_answers(), "csrf_token": token})
    assert posted.status_code == 303 and posted.headers["Location"] == "/refer/self/check"
    first = client.get("/refer/self/check")
    refreshed = client.get("/refer/self/check")
    assert first.status_code == refreshed.status_code == 200
    assert "Siân 李 Ó Briain" in refreshed.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "no-store"
    assert count(Referral) == 0, "showing the check page stores nothing"


def test_the_answers_are_kept_sealed_in_the_browser_not_on_the_server(client, app_context):
    start(client, "self", self_referral_answers())
    kept = [cookie for cookie in client._cookies.values() if cookie.key.startswith("sps_answers_self_")]
    assert kept and all(cookie.path == "/refer/self" for cookie in kept), "sent to the journey's pages only"
    assert all(len(cookie.key) + len(cookie.value) < 4000 for cookie in kept)
    assert not any("Siân" in cookie.value or "zoe.family" in cookie.value for cookie in kept)
    with client.session_transaction() as session:
        assert "Siân" not in repr(dict(session))


def test_back_after_sending_shows_the_confirmation_and_sends_nothing_again(client, app_context, outbox):
    check = start(client, "self", self_referral_answers())
    sent = send(client, "self", check)
    assert sent.status_code == 302
    assert not [cookie for cookie in client._cookies.values() if cookie.key.startswith("sps_answers_")], (
        "the answers leave the browser once sent"
    )
    back = client.get("/refer/self/check")
    assert back.status_code == 302 and back.headers["Location"] == "/refer/self/confirmation"
    again = send(client, "self", check)
    assert again.status_code == 302 and again.headers["Location"] == "/refer/self/confirmation"
    assert count(Referral) == 1 and len(outbox) == 1


def test_two_presses_of_send_before_either_answers_make_one_referral(client, app_context, outbox):
    check = start(client, "self", self_referral_answers())
    cookies = {cookie.key: cookie.value for cookie in client._cookies.values() if cookie.key.startswith("sps_answers")}
    first = send(client, "self", check)
    for name, value in cookies.items():  # the second press carries the answers the first did
        client.set_cookie(name, value, path="/refer/self")
    second = send(client, "self", check)
    assert first.status_code == second.status_code == 302
    assert second.headers["Location"] == "/refer/self/confirmation"
    assert count(Referral) == 1 and len(outbox) == 1


@pytest.mark.parametrize(
    ("cookie", "message"),
    [
        (None, "We could not find your answers"),
        ("not a seal", "We could not find your answers"),
    ],
)
def test_the_check_page_without_usable_answers_returns_to_the_form_saying_why(client, app_context, cookie, message):
    if cookie is not None:
        client.set_cookie("sps_answers_self_0", cookie, path="/refer/self")
    token = client.csrf_token("/refer/self")
    shown = client.get("/refer/self/check")
    sent = client.post("/refer/self/check", data={"csrf_token": token, "send": "yes", "privacy_agreed": "yes"})
    for response in (shown, sent):
        assert response.status_code == 303 and response.headers["Location"] == "/refer/self"
    page = client.get("/refer/self").get_data(as_text=True)
    assert message in page and "govuk-notification-banner" in page
    assert count(Referral) == 0


def test_answers_kept_longer_than_three_hours_are_cleared(client, app_context, time_machine):
    day = dt.date(2026, 3, 2)
    time_machine.move_to(london(day, 9), tick=False)
    start(client, "self", self_referral_answers())
    time_machine.move_to(london(day, 11, 59), tick=False)
    assert client.get("/refer/self/check").status_code == 200
    time_machine.move_to(london(day, 12, 1), tick=False)
    response = client.get("/refer/self/check")
    assert response.status_code == 303 and response.headers["Location"] == "/refer/self"
    assert "Your answers were cleared because 3 hours passed" in client.get("/refer/self").get_data(as_text=True)
    assert client.get("/refer/self/check").headers["Location"] == "/refer/self", "and they are gone"
    assert count(Referral) == 0


def test_errors_are_summarised_in_page_order_and_answers_kept(client, app_context):
    response = start(
        client,
        "self",
        self_referral_answers(
            child_name="",
            child_date_of_birth=["31", "2", "2015"],
            email="not-an-email",
            preferred_contact="letter",
            address_line_1="",
            postcode="",
        ),
    )
    html = response.get_data(as_text=True)
    assert error_summary(html) == [
        ("#child_name", "Enter the child or young person's full name"),
        ("#child_date_of_birth-day", "Date of birth must be a real date"),
        ("#email", "Enter an email address in the correct format, like name@example.com"),
        ("#address_line_1", "Enter an address and postcode, or choose another way for us to contact you"),
    ]
    assert "<title>Error: " in html
    assert 'value="not-an-email"' in html and 'value="31"' in html
    assert count(Referral) == 0


def test_a_young_person_refers_themselves_and_is_the_contact(client, app_context):
    answers = self_referral_answers(
        completed_by="young_person", parent_carer_name="", child_date_of_birth=["1", "6", "2006"]
    )
    sent = send(client, "self", start(client, "self", answers))
    assert sent.status_code == 302
    referral = db.session.scalars(db.select(Referral)).one()
    assert referral.completed_by == "young_person"
    assert [person.role for person in referral.people] == ["child"]
    assert referral.person("child").email == "zoe.family@example.com"


def test_personal_data_is_encrypted_at_rest(client, app_context):
    send(client, "self", start(client, "self", self_referral_answers()))
    raw = db.session.execute(db.text("SELECT full_name, email FROM people")).all()
    stored = " ".join(str(value) for row in raw for value in row)
    assert "Siân" not in stored and "zoe.family" not in stored
    assert count(Person) == 2


# The reference on every confirmation page is shown once (the next person at a shared computer
# must not find it by reloading), and the page then says where it went.
CONFIRMATIONS = [
    ("refer", "self", self_referral_answers, Referral, "z***@example.com"),
    ("refer", "professional", professional_answers, Referral, "p***@riverside.example.org"),
    ("requests", "records", records_answers, InformationRequest, "z***@example.com"),
    ("requests", "foi", foi_answers, InformationRequest, "m***@example.net"),
    ("requests", "complaint", complaint_answers, InformationRequest, "a***@example.com"),
]


def sent_from(client, area: str, route: str, answers: dict):
    if area == "refer":
        return send(client, route, start(client, route, answers))
    return request_send(client, route, request_start(client, route, answers))


@pytest.mark.parametrize(("area", "route", "answers", "model", "sent_to"), CONFIRMATIONS)
def test_the_reference_is_shown_once_then_the_page_says_where_it_was_sent(
    client, app_context, area, route, answers, model, sent_to
):
    sent = sent_from(client, area, route, answers())
    assert sent.status_code == 302 and sent.headers["Location"] == f"/{area}/{route}/confirmation"
    reference = db.session.scalars(db.select(model.reference)).one()
    first = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert reference in first and f"We have sent the reference number to {sent_to}." in first
    with client.session_transaction() as kept:
        assert reference not in repr(dict(kept)), "the reference leaves the cookie once shown"

    again = client.get(sent.headers["Location"])
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert reference not in html and reference[:8] not in html
    assert "Your reference number was shown once" in html
    assert f"We also sent it by email to {sent_to}." in html
    addresses = [value for value in answers().values() if isinstance(value, str) and "@" in value]
    assert addresses and not any(address in first or address in html for address in addresses)
    assert client.get(sent.headers["Location"]).status_code == 200, "and again, never an error"


def test_without_an_email_address_the_page_says_to_note_the_reference_it_shows_once(client, app_context, outbox):
    sent = sent_from(client, "refer", "self", self_referral_answers(email="", preferred_contact="phone"))
    reference = db.session.scalars(db.select(Referral.reference)).one()
    first = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert reference in first and "Write the reference number down now: this page shows it only once." in first
    assert outbox == []
    html = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert reference not in html and "If you did not write it down, contact us" in html
    assert "We also sent it" not in html


def test_only_one_value_a_question_is_kept_however_many_are_posted(client, app_context):
    answers = self_referral_answers(needs=["Autism."] + ["x" * 4000] * 50, child_date_of_birth=["14", "3", "2015"] * 20)
    posted = client.post("/refer/self", data={**answers, "csrf_token": client.csrf_token("/refer/self")})
    assert posted.status_code == 303
    check = client.get("/refer/self/check").get_data(as_text=True)
    assert "Autism." in check and "xxxx" not in check
