import re

import pytest

from portal.extensions import db
from portal.models import ConsentAttestation, Referral
from portal.services.consent import ATTESTATION_STATEMENT
from tests.journeys import error_summary, hidden_value, professional_answers, send, start


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_professional_refers_a_family_with_consent(client, app_context, outbox):
    check = start(client, "professional", professional_answers())
    html = check.get_data(as_text=True)
    assert "Check your answers" in html and ATTESTATION_STATEMENT in html
    assert count(Referral) == 0

    sent = send(client, "professional", check)
    assert sent.status_code == 302
    referral = db.session.scalars(db.select(Referral)).one()
    assert referral.route == "professional" and referral.completed_by == "professional"
    assert {person.role for person in referral.people} == {"child", "parent_carer", "referrer"}
    [attestation] = referral.attestations
    assert attestation.wording == ATTESTATION_STATEMENT and attestation.method == "verbal"
    assert attestation.referrer_organisation == "Riverside Primary School"

    confirmation = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert referral.reference in confirmation
    [mail] = outbox
    assert mail["To"] == "p.shah@riverside.example.org"
    assert referral.reference in mail.get_content() and "Tomasz" not in mail.get_content()


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ({"consent_given_by": ""}, [("#consent_given_by", "Select who gave consent")]),
        ({"consent_given_on": ["", "", ""]}, [("#consent_given_on-day", "Enter the date consent was given")]),
        ({"consent_method": ""}, [("#consent_method", "Select how consent was given")]),
        (
            {"consent_confirmed": ""},
            [("#consent_confirmed", "Confirm that the family agreed to their details being passed on")],
        ),
    ],
)
def test_without_a_complete_attestation_the_referral_is_refused(client, app_context, missing, expected):
    answers = professional_answers(**missing)
    if not missing.get("consent_confirmed", "y"):
        answers.pop("consent_confirmed")
    response = start(client, "professional", answers)
    assert response.status_code == 200
    assert error_summary(response.get_data(as_text=True)) == expected
    assert count(Referral) == count(ConsentAttestation) == 0


PAGES_AND_THEIR_PROBLEMS_WHEN_EMPTY = [
    (
        "/refer/professional",
        ["#referrer_name", "#referrer_job_title", "#referrer_organisation", "#referrer_email", "#referrer_phone"],
    ),
    ("/refer/professional/child", ["#child_name", "#child_date_of_birth-day", "#school_or_setting"]),
    ("/refer/professional/who-to-contact", ["#contact_through"]),
    ("/refer/professional/parent-carer", ["#parent_carer_name"]),
    ("/refer/professional/contact-method", ["#preferred_contact"]),
    ("/refer/professional/reason", ["#reason"]),
    (
        "/refer/professional/consent",
        ["#consent_given_by", "#consent_given_on-day", "#consent_method", "#consent_confirmed"],
    ),
]


@pytest.mark.parametrize(("path", "problems"), PAGES_AND_THEIR_PROBLEMS_WHEN_EMPTY)
def test_each_question_page_checks_only_its_own_questions(client, app_context, path, problems):
    token = client.csrf_token("/refer/professional")
    answers = {"consent_given_on": ["", "", ""], "child_date_of_birth": ["", "", ""]}
    client.post("/refer/professional", data={**professional_answers(), "csrf_token": token})
    if path.endswith("parent-carer"):  # asked once a parent or carer is chosen
        client.post("/refer/professional/who-to-contact", data={"contact_through": "parent_carer", "csrf_token": token})
    response = client.post(path, data={**answers, "csrf_token": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert [href for href, _ in error_summary(html)] == problems
    assert f'action="{path}"' in html and "<title>Error: " in html
    assert "&lt;span" not in html, "the question heading's caption is markup, not text"


def test_the_pages_follow_one_another_each_with_a_back_link_to_the_last(client, app_context):
    answers = {**professional_answers(), "csrf_token": client.csrf_token("/refer/professional")}
    path, visited = "/refer/professional", []
    while not path.endswith("/check"):
        visited.append(path)
        response = client.post(path, data=answers)
        assert response.status_code == 303, path
        back = path
        path = response.headers["Location"]
        if not path.endswith("/check"):
            assert f'href="{back}"' in client.get(path).get_data(as_text=True), f"Back on {path}"
    assert visited == [
        "/refer/professional",
        "/refer/professional/child",
        "/refer/professional/who-to-contact",
        "/refer/professional/parent-carer",
        "/refer/professional/contact-method",
        "/refer/professional/contact-details",
        "/refer/professional/reason",
        "/refer/professional/consent",
    ]
    assert count(Referral) == 0, "nothing is stored before the referral is sent"


def test_contacting_the_young_person_directly_skips_the_parent_questions(client, app_context, outbox):
    answers = professional_answers(
        contact_through="young_person",
        parent_carer_name="Anna Kowalska",  # typed before changing their mind: not kept
        consent_given_by="young_person",
        child_date_of_birth=["2", "9", "2008"],
    )
    token = client.csrf_token("/refer/professional")
    client.post("/refer/professional", data={**answers, "csrf_token": token})
    chosen = client.post("/refer/professional/who-to-contact", data={**answers, "csrf_token": token})
    assert chosen.headers["Location"] == "/refer/professional/contact-method"
    check = start(client, "professional", answers)
    html = check.get_data(as_text=True)
    assert "The young person directly" in html and "Anna Kowalska" not in html
    assert send(client, "professional", check).status_code == 302
    referral = db.session.scalars(db.select(Referral)).one()
    assert {person.role for person in referral.people} == {"child", "referrer"}
    assert referral.person("child").phone == "07700 900123"


def test_a_parent_or_carer_to_contact_must_be_named(client, app_context):
    response = start(client, "professional", professional_answers(parent_carer_name=""))
    assert response.request.path == "/refer/professional/parent-carer"
    assert error_summary(response.get_data(as_text=True)) == [
        ("#parent_carer_name", "Enter the parent or carer's full name")
    ]


def test_the_young_person_is_contacted_directly_only_on_their_own_consent(client, app_context):
    response = start(client, "professional", professional_answers(contact_through="young_person"))
    assert response.request.path == "/refer/professional/who-to-contact", "sent back to the question to put right"
    assert error_summary(response.get_data(as_text=True)) == [
        ("#contact_through", "A parent or carer gave consent: select that we should contact them")
    ]
    assert count(Referral) == 0


def test_the_contact_details_page_asks_plainly_only_for_what_the_chosen_way_needs(client, app_context):
    token = client.csrf_token("/refer/professional")
    client.post("/refer/professional", data={**professional_answers(), "csrf_token": token})
    client.post("/refer/professional/contact-method", data={"preferred_contact": "letter", "csrf_token": token})
    html = client.get("/refer/professional/contact-details").get_data(as_text=True)
    assert "Email address (optional)" in html and "Telephone number (optional)" in html
    assert "Address line 1 (optional)" not in html and "Postcode (optional)" not in html
    refused = client.post("/refer/professional/contact-details", data={"email": "", "csrf_token": token})
    assert error_summary(refused.get_data(as_text=True)) == [
        ("#address_line_1", "Enter an address and postcode, or choose another way for us to contact you")
    ]


def test_every_change_link_goes_to_its_page_and_back_to_the_check_page(client, app_context):
    check = start(client, "professional", professional_answers()).get_data(as_text=True)
    links = re.findall(r'<a class="govuk-link" href="(/refer/professional[^"#]*)#([^"]+)">Change', check)
    pages = {field: url for url, field in links}
    assert pages["referrer_email"] == "/refer/professional?return=check"
    assert pages["child_date_of_birth-day"] == "/refer/professional/child?return=check"
    assert pages["contact_through"] == "/refer/professional/who-to-contact?return=check"
    assert pages["parent_carer_name"] == "/refer/professional/parent-carer?return=check"
    assert pages["preferred_contact"] == "/refer/professional/contact-method?return=check"
    assert pages["email"] == pages["address_line_1"] == "/refer/professional/contact-details?return=check"
    assert pages["reason"] == "/refer/professional/reason?return=check"
    assert pages["consent_method"] == "/refer/professional/consent?return=check"
    token = hidden_value(check, "csrf_token")
    for field, url in pages.items():
        page = client.get(url).get_data(as_text=True)
        assert f'id="{field}"' in page and 'href="/refer/professional/check"' in page, field
        back = client.post(url, data={**professional_answers(), "csrf_token": token})
        assert back.headers["Location"] == "/refer/professional/check", field


def test_a_changed_branch_asks_its_new_question_before_returning_to_the_check_page(client, app_context):
    answers = professional_answers(contact_through="young_person", consent_given_by="young_person")
    check = start(client, "professional", answers).get_data(as_text=True)
    token = hidden_value(check, "csrf_token")
    changed = client.post(
        "/refer/professional/who-to-contact?return=check", data={"contact_through": "parent_carer", "csrf_token": token}
    )
    assert changed.headers["Location"] == "/refer/professional/parent-carer?return=check"
    page = client.get(changed.headers["Location"]).get_data(as_text=True)
    assert "govuk-error-summary" not in page, "a new question is asked, not refused"
    named = client.post(changed.headers["Location"], data={"parent_carer_name": "Anna Kowalska", "csrf_token": token})
    assert named.headers["Location"] == "/refer/professional/check"
    assert "Anna Kowalska" in client.get("/refer/professional/check").get_data(as_text=True)


def test_a_filled_honeypot_is_refused(client, app_context):
    response = start(client, "professional", professional_answers(website="http://spam.example"))
    assert error_summary(response.get_data(as_text=True))[0][0] == "#website"
    assert count(Referral) == 0


def test_a_later_page_without_the_earlier_answers_starts_again_saying_why(client, app_context):
    token = client.csrf_token("/refer/professional")
    response = client.post("/refer/professional/reason", data={"reason": "Support", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/refer/professional"
    assert "We could not find your answers" in client.get("/refer/professional").get_data(as_text=True)
    assert count(Referral) == 0
