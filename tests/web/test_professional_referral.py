import pytest

from portal.extensions import db
from portal.models import ConsentAttestation, Referral
from portal.services.consent import ATTESTATION_STATEMENT
from tests.journeys import error_summary, professional_answers, send, start


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


def test_an_empty_form_lists_every_problem_in_page_order(client, app_context):
    response = start(client, "professional", {"consent_given_on": ["", "", ""], "child_date_of_birth": ["", "", ""]})
    hrefs = [href for href, _ in error_summary(response.get_data(as_text=True))]
    assert hrefs == [
        "#referrer_name",
        "#referrer_job_title",
        "#referrer_organisation",
        "#referrer_email",
        "#referrer_phone",
        "#child_name",
        "#child_date_of_birth-day",
        "#school_or_setting",
        "#preferred_contact",
        "#reason",
        "#consent_given_by",
        "#consent_given_on-day",
        "#consent_method",
        "#consent_confirmed",
    ]


def test_no_parent_named_needs_the_young_persons_own_consent(client, app_context):
    response = start(client, "professional", professional_answers(parent_carer_name=""))
    assert error_summary(response.get_data(as_text=True)) == [
        ("#parent_carer_name", "Enter the parent or carer's full name, as they gave consent")
    ]
    ok = start(
        client,
        "professional",
        professional_answers(
            parent_carer_name="", consent_given_by="young_person", child_date_of_birth=["2", "9", "2008"]
        ),
    )
    assert send(client, "professional", ok).status_code == 302
    referral = db.session.scalars(db.select(Referral)).one()
    assert {person.role for person in referral.people} == {"child", "referrer"}
    assert referral.person("child").phone == "07700 900123"


def test_a_filled_honeypot_is_refused(client, app_context):
    response = start(client, "professional", professional_answers(website="http://spam.example"))
    assert error_summary(response.get_data(as_text=True))[0][0] == "#website"
    assert count(Referral) == 0
