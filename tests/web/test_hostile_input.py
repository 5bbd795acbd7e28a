"""Hostile values in every field of both forms: never a 5xx, and nothing stored on refusal."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import Referral
from portal.public.forms import ProfessionalReferralForm, SelfReferralForm
from tests.journeys import hidden_value, professional_answers, self_referral_answers

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
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300),
)
hostile_value = st.one_of(hostile_text, st.lists(hostile_text, min_size=0, max_size=4))


def field_names(form_class) -> list[str]:
    return [name for name in form_class.PAGE_ORDER]


def rows() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Referral))


def attack(client, route: str, answers: dict, fields: list[str], data) -> None:
    chosen = data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=len(fields), unique=True))
    for name in chosen:
        answers[name] = data.draw(hostile_value)
    token = client.csrf_token(f"/refer/{route}")
    response = client.post(f"/refer/{route}", data={**answers, "csrf_token": token})
    assert response.status_code < 500
    assert rows() == 0, "nothing is stored before the check page is sent"
    html = response.get_data(as_text=True)
    if "Check your answers" not in html:
        return
    before = rows()
    sent = client.post(
        f"/refer/{route}/check",
        data={
            "csrf_token": hidden_value(html, "csrf_token"),
            "sealed": hidden_value(html, "sealed"),
            "privacy_version": data.draw(st.sampled_from(["1.0", "", "2.0", "<b>"])),
            "privacy_agreed": data.draw(st.sampled_from(["yes", "", "no", "yes\x00"])),
            "send": "yes",
        },
    )
    assert sent.status_code in (200, 302)
    assert rows() == before + (1 if sent.status_code == 302 else 0)
    db.session.execute(db.delete(Referral))
    db.session.commit()


HYPOTHESIS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(data=st.data())
def test_hostile_self_referrals(client, app_context, data):
    attack(client, "self", self_referral_answers(), field_names(SelfReferralForm), data)


@HYPOTHESIS
@given(data=st.data())
def test_hostile_professional_referrals(client, app_context, data):
    attack(client, "professional", professional_answers(), field_names(ProfessionalReferralForm), data)


@pytest.mark.parametrize("route", ["self", "professional"])
@HYPOTHESIS
@given(sealed=hostile_text, change=hostile_text)
def test_hostile_check_pages(client, app_context, route, sealed, change):
    token = client.csrf_token(f"/refer/{route}")
    response = client.post(f"/refer/{route}/check", data={"csrf_token": token, "sealed": sealed, "change": change})
    assert response.status_code == 400
    assert rows() == 0
