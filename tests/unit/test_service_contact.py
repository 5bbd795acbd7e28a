"""How to reach the service, at the end of every e-mail and in the subject access response, and the
response speaking about the child when a parent or carer asked for the child's records."""

import datetime as dt
import re

from portal.config import load_config
from portal.services import subject_access
from portal.services.mail import Mailer
from portal.services.pdf import Entry, ResponseDocument, Section, render_pdf
from portal.services.service_contact import ServiceContact
from tests.clock import clock_on
from tests.staff import pdf_text
from tests.unit.test_requests import sar

CONTACT = ServiceContact.from_config(load_config({"PORTAL_ENV": "test"}))
CHILD = "Siân Ó Briain"
TODAY = dt.date(2026, 3, 3)
# The requests the tests make are dated by the portal's clock: it stands on TODAY, the day responses are made.
clock_on_today = clock_on(TODAY)


def test_every_email_ends_with_the_services_contact_details_after_a_signature_line():
    mailer = Mailer("memory://", "sps@example.invalid", CONTACT.email_signature("https://sps.example.invalid"))
    mailer.send("zoe.family@example.com", "Your reference", "Your reference is SPS-7K3Q-9XM2.")
    body = mailer.outbox[-1].get_content()
    message, signature = body.split("\n-- \n")
    assert message == "Your reference is SPS-7K3Q-9XM2.\n"
    assert signature.splitlines()[:4] == [
        "SEND Partnership Service",
        f"Telephone: {CONTACT.phone} ({CONTACT.hours})",
        f"Email: {CONTACT.email}",
        f"Post: {', '.join(CONTACT.address)}",
    ]
    assert "All the ways to contact us: https://sps.example.invalid/contact" in signature
    assert "call 999" in signature and CONTACT.safeguarding_phone in signature


def test_without_the_portals_address_the_signature_gives_no_link_rather_than_a_wrong_one():
    assert "/contact" not in CONTACT.email_signature("")
    assert CONTACT.phone in CONTACT.email_signature("")


def response_text(app, requested_as: str) -> str:
    document = ResponseDocument(
        reference="SAR-7K3Q-9XM2",
        subject_name=CHILD if requested_as != "self" else "Zoë Ó Briain-Nakamura",
        generated_on=TODAY,
        sections=[
            Section("Case notes", [Entry("Case note", TODAY, [("Note", "Talked about the EHC plan.")])]),
            Section("Disclosures", []),
        ],
        redaction_log=None,
        requested_as=requested_as,
    )
    with app.test_request_context():
        return " ".join(pdf_text(render_pdf(document)).split())


def test_a_parent_asking_for_their_childs_records_gets_a_copy_about_their_child_by_name(app):
    text = response_text(app, "parent_carer")
    assert "Your child’s records held by the SEND Partnership Service" in text
    assert f"This is a copy of the records about your child, {CHILD}, that the SEND Partnership Service holds" in text
    assert f"We hold no records of this kind about {CHILD}." in text
    assert not re.search(r"\babout you\b", text)


def test_someone_acting_with_authority_gets_a_copy_about_the_person_they_act_for(app):
    text = response_text(app, "authorised")
    assert f"Records about {CHILD} held by the SEND Partnership Service" in text
    assert f"We hold no records of this kind about {CHILD}." in text
    assert not re.search(r"\babout you\b", text)


def test_the_response_gives_the_services_contact_details_and_its_data_protection_officer(app):
    text = response_text(app, "self")
    assert "We hold no records of this kind about you." in text
    for detail in (CONTACT.phone, CONTACT.hours, CONTACT.email, ", ".join(CONTACT.address), CONTACT.dpo_email):
        assert detail in text


def test_the_response_to_a_parent_is_told_that_they_asked_as_the_childs_parent(app, app_context, outbox):
    request = sar(app)  # a parent or carer asking for their daughter's records
    document, _ = subject_access.build_response(request, False, False, TODAY)
    assert document.requested_as == "parent_carer"
    assert subject_access.build_response(sar(app, key="k2", acting_as="self"), False, False, TODAY)[0].requested_as == (
        "self"
    )
