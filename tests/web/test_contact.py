"""Families can reach the service: the contact page from the settings, the footer's link, every
confirmation and e-mail ending with how to reach us, the privacy notice's controller, data
protection officer and rights, and the accessibility statement's contact details and enforcement."""

import re

import pytest

from portal.config import load_config
from tests.conftest import CheckingClient, build_app
from tests.journeys import (
    complaint_answers,
    foi_answers,
    records_answers,
    request_send,
    request_start,
    self_referral_answers,
    send,
    start,
)

# Settings unlike the defaults, as an operator would give them in the environment.
ENVIRONMENT = {
    "PORTAL_ENV": "test",
    "SERVICE_PHONE": "01225 394 999",
    "SERVICE_EMAIL": "sps@bathnes.test",
    "SERVICE_ADDRESS": "SEND Partnership Service, Lewis House, Manvers Street, BA1 1JG",
    "SERVICE_HOURS": "Weekdays 10am to 3pm",
    "SAFEGUARDING_PHONE": "01225 396 312",
    "SAFEGUARDING_OUT_OF_HOURS_PHONE": "01454 615 165",
    "COUNCIL_COMPLAINTS_URL": "https://www.bathnes.test/complaints",
    "CONTROLLER_NAME": "Bath and North East Somerset Council",
    "DPO_EMAIL": "information.governance@bathnes.test",
    "DPO_ADDRESS": "Information Governance, Guildhall, High Street, BA1 5AW",
}
SETTINGS = {name: value for name, value in load_config(ENVIRONMENT).items() if name in ENVIRONMENT}
SETTINGS.pop("PORTAL_ENV")


@pytest.fixture
def configured(app, database_url):
    """An app of its own with these settings, on the shared database (``app`` empties it after)."""
    configured = build_app(database_url, **SETTINGS)
    configured.test_client_class = CheckingClient
    return configured


@pytest.fixture
def client(configured):
    return configured.test_client()


@pytest.fixture
def outbox(configured):
    mailer = configured.extensions["portal_mailer"]
    mailer.outbox.clear()
    return mailer.outbox


def text_of(response) -> str:
    """The page's words, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def test_an_address_setting_is_one_line_per_comma():
    assert SETTINGS["SERVICE_ADDRESS"] == (
        "SEND Partnership Service",
        "Lewis House",
        "Manvers Street",
        "BA1 1JG",
    )


def test_the_contact_page_gives_the_services_telephone_email_address_and_hours_from_the_settings(client):
    response = client.get("/contact")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "01225 394 999" in html and "Weekdays 10am to 3pm" in html
    assert 'href="mailto:sps@bathnes.test"' in html
    assert "SEND Partnership Service<br>Lewis House<br>Manvers Street<br>BA1 1JG" in html


def test_the_contact_page_says_first_what_to_do_if_a_child_is_at_risk_now(client):
    text = text_of(client.get("/contact"))
    at_risk = text.index("If a child is at risk now")
    assert at_risk < text.index("Telephone")
    emergency = text[at_risk : text.index("Contact us", at_risk)]
    assert "call 999" in emergency
    assert "01225 396 312" in emergency and "01454 615 165" in emergency
    assert "Bath and North East Somerset Council’s children’s services" in emergency


def test_the_contact_page_says_where_and_how_to_send_identity_documents(client):
    text = text_of(client.get("/contact"))
    documents = text[text.index("Sending us documents") : text.index("Complaints")]
    assert "sps@bathnes.test" in documents and "Data protection team" in documents
    assert "never the originals" in documents


def test_complaints_about_the_service_go_to_the_councils_procedure_and_about_data_to_the_form(client):
    html = client.get("/contact").get_data(as_text=True)
    complaints = html[html.index('id="complaints"') :]
    assert 'href="https://www.bathnes.test/complaints"' in complaints
    assert 'href="/requests/complaint"' in complaints


@pytest.mark.parametrize("path", ["/", "/privacy", "/accessibility", "/contact", "/refer/self", "/staff/login"])
def test_every_pages_footer_links_to_the_contact_page(client, path):
    html = client.get(path).get_data(as_text=True)
    footer = html[html.index('<footer class="govuk-footer">') :]
    assert 'href="/contact">Contact us</a>' in footer


def test_the_start_page_gives_the_telephone_and_links_to_the_contact_page(client):
    html = client.get("/").get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    assert "01225 394 999" in main
    assert 'href="/contact"' in main and 'href="/contact#child-at-risk"' in main


def assert_tells_how_to_reach_us(confirmation) -> None:
    assert confirmation.status_code == 200
    html = confirmation.get_data(as_text=True)
    reach_us = html[html.index("If you need to contact us") :]
    assert "01225 394 999" in reach_us and 'href="mailto:sps@bathnes.test"' in reach_us
    assert 'href="/contact"' in reach_us


def test_a_referrals_confirmation_tells_how_to_reach_us(client, outbox):
    sent = send(client, "self", start(client, "self", self_referral_answers()))
    assert_tells_how_to_reach_us(client.get(sent.headers["Location"]))


@pytest.mark.parametrize(
    ("kind", "answers"), [("records", records_answers), ("foi", foi_answers), ("complaint", complaint_answers)]
)
def test_each_requests_confirmation_tells_how_to_reach_us(client, outbox, kind, answers):
    sent = request_send(client, kind, request_start(client, kind, answers()))
    assert_tells_how_to_reach_us(client.get(sent.headers["Location"]))


def test_the_subject_access_confirmation_says_where_and_how_to_send_identity_documents(client, outbox):
    sent = request_send(client, "records", request_start(client, "records", records_answers()))
    text = text_of(client.get(sent.headers["Location"]))
    proof = text[text.index("Sending us proof of identity") : text.index("If you need to contact us")]
    assert "by email to sps@bathnes.test" in proof
    assert "by post to SEND Partnership Service, Lewis House, Manvers Street, BA1 1JG" in proof
    assert "Data protection team" in proof and "never the originals" in proof


def assert_ends_with_how_to_reach_us(body: str) -> None:
    signature = body[body.index("\n-- \n") :]
    assert "01225 394 999" in signature and "sps@bathnes.test" in signature
    assert "SEND Partnership Service, Lewis House, Manvers Street, BA1 1JG" in signature
    assert "http://127.0.0.1:5000/contact" in signature
    assert "999" in signature and "01225 396 312" in signature


def test_a_referrals_acknowledgement_email_ends_with_how_to_reach_us(client, outbox):
    send(client, "self", start(client, "self", self_referral_answers()))
    [mail] = outbox
    assert_ends_with_how_to_reach_us(mail.get_content())


@pytest.mark.parametrize(
    ("kind", "answers"), [("records", records_answers), ("foi", foi_answers), ("complaint", complaint_answers)]
)
def test_each_requests_acknowledgement_email_ends_with_how_to_reach_us(client, outbox, kind, answers):
    request_send(client, kind, request_start(client, kind, answers()))
    [mail] = outbox
    assert_ends_with_how_to_reach_us(mail.get_content())


def test_the_one_mailer_every_email_goes_through_signs_each_with_how_to_reach_us(configured, outbox):
    # Set-up links, reminders and feedback invitations go through the same mailer as the above.
    configured.extensions["portal_mailer"].send("kim.lee@example.org", "Set up your account", "Your link: …")
    [mail] = outbox
    assert_ends_with_how_to_reach_us(mail.get_content())


def test_the_privacy_notice_names_the_controller_and_how_to_reach_its_data_protection_officer(client):
    text = text_of(client.get("/privacy"))
    controller = text[text.index("Who is responsible for your information") :]
    assert "Bath and North East Somerset Council is the data controller" in controller
    assert "information.governance@bathnes.test" in controller
    assert "Information Governance Guildhall High Street BA1 5AW" in controller


def test_the_privacy_notice_says_how_to_ask_for_a_correction_and_the_other_rights(client):
    text = text_of(client.get("/privacy"))
    correction = text[text.index("Ask us to correct your records") : text.index("Your other rights")]
    assert "01225 394 999" in correction and "sps@bathnes.test" in correction
    assert "Within one month we will correct the record" in correction
    rights = text[text.index("Your other rights") : text.index("Use your rights")]
    for right in ("delete your information", "stop using your information", "stop sharing your information"):
        assert right in rights
    assert "Information Commissioner’s Office" in rights


def test_the_accessibility_statement_gives_the_contact_details_and_the_enforcement_procedure(client):
    html = client.get("/accessibility").get_data(as_text=True)
    text = text_of(client.get("/accessibility"))
    assert "01225 394 999" in text and 'href="mailto:sps@bathnes.test"' in html
    enforcement = text[text.index("Enforcement procedure") :]
    assert "Equality and Human Rights Commission (EHRC)" in enforcement
    assert "Equality Advisory and Support Service (EASS)" in enforcement
    assert 'href="https://www.equalityadvisoryservice.com/"' in html
