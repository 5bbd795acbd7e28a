"""Hostile values in every field of the referral and request forms: never a 5xx, and nothing
stored on refusal."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import InformationRequest, Referral
from portal.public.forms import (
    ComplaintForm,
    FoiRequestForm,
    ProfessionalReferralForm,
    SelfReferralForm,
    SubjectAccessForm,
)
from tests.journeys import (
    complaint_answers,
    foi_answers,
    hidden_value,
    professional_answers,
    records_answers,
    self_referral_answers,
)

NASTY = [
    "",
    " ",
    "\x00",
    "'; DROP TABLE referrals; --",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "\u202eevil",
    "😀" * 300,
    "x" * 6000,
    "-1",
    "99999999999999999999",
    "NaN",
    "../../etc/passwd",
    "%s%s%s%n",
    "\r\n\r\nSet-Cookie: x=y",
]
hostile_text = st.one_of(
    st.sampled_from(NASTY),
    # A person may type "None" (no school, say); the page checker would take it echoed back for
    # a missing value printed by mistake, so that one word is left out.
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300).filter(
        lambda text: text.strip() != "None"
    ),
)
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, min_size=0, max_size=4))


def field_names(form_class) -> list[str]:
    return [name for name in form_class.PAGE_ORDER]


def rows(model=Referral) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def attack(client, path: str, answers: dict, fields: list[str], data, model=Referral, send_fields=None) -> None:
    chosen = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique=True))
    for name in chosen:
        answers[name] = data.draw(hostile_value)
    token = client.csrf_token(path)
    response = client.post(path, data={**answers, "csrf_token": token})
    assert response.status_code < 500
    assert rows(model) == 0, "nothing is stored before the check page is sent"
    html = response.get_data(as_text=True)
    if "Check your answers" not in html:
        return
    before = rows(model)
    sent = client.post(
        f"{path}/check",
        data={
            "csrf_token": hidden_value(html, "csrf_token"),
            "sealed": hidden_value(html, "sealed"),
            "send": "yes",
            **{name: data.draw(st.sampled_from(choices)) for name, choices in (send_fields or {}).items()},
        },
    )
    assert sent.status_code in (200, 302)
    assert rows(model) == before + (1 if sent.status_code == 302 else 0)
    db.session.execute(db.delete(model))
    db.session.commit()


REFERRAL_SEND_FIELDS = {"privacy_version": ["1.0", "", "2.0", "<b>"], "privacy_agreed": ["yes", "", "no", "yes\x00"]}
DECLARATION = {"declared": ["yes", "", "no", "yes\x00"]}


HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(data=st.data())
def test_hostile_self_referrals(client, app_context, data):
    attack(
        client,
        "/refer/self",
        self_referral_answers(),
        field_names(SelfReferralForm),
        data,
        send_fields=REFERRAL_SEND_FIELDS,
    )


@HYPOTHESIS
@given(data=st.data())
def test_hostile_professional_referrals(client, app_context, data):
    attack(
        client,
        "/refer/professional",
        professional_answers(),
        field_names(ProfessionalReferralForm),
        data,
        send_fields=REFERRAL_SEND_FIELDS,
    )


@pytest.mark.parametrize(
    ("kind", "answers", "form_class"),
    [
        ("records", records_answers, SubjectAccessForm),
        ("foi", foi_answers, FoiRequestForm),
        ("complaint", complaint_answers, ComplaintForm),
    ],
)
@HYPOTHESIS
@given(data=st.data())
def test_hostile_requests(client, app_context, kind, answers, form_class, data):
    attack(client, f"/requests/{kind}", answers(), field_names(form_class), data, InformationRequest, DECLARATION)


@pytest.mark.parametrize(
    "path",
    ["/refer/self", "/refer/professional", "/requests/records", "/requests/foi", "/requests/complaint"],
)
@HYPOTHESIS
@given(sealed=hostile_text, change=hostile_text)
def test_hostile_check_pages(client, app_context, path, sealed, change):
    token = client.csrf_token(path)
    response = client.post(f"{path}/check", data={"csrf_token": token, "sealed": sealed, "change": change})
    assert response.status_code == 400
    assert rows(Referral) == rows(InformationRequest) == 0
