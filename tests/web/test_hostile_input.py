"""Hostile values in every field of the referral and request forms, and ids and numbers no column
can hold in every URL, query and form of the back office: never a 5xx, and nothing stored on
refusal."""

import re

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
    walk,
)
from tests.staff import csrf_token, make_staff, sign_in
from tests.web import test_staff_roles

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
    response = walk(client, path, answers)
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


# One referral, its case (with a note and a consent naming a school), a subject access request and
# an FOI request, and an account per role: the route walk's own.
world = test_staff_roles.world

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
@given(sealed=hostile_text)
def test_hostile_check_pages(client, app_context, path, sealed):
    """Answer cookies the portal never sealed send the person back to the start; no page is a 500."""
    journey = path.rsplit("/", 1)[1]
    client.set_cookie(f"sps_answers_{journey}_0", sealed, path=path)
    token = client.csrf_token(path)
    for response in (client.get(f"{path}/check"), client.post(f"{path}/check", data={"csrf_token": token})):
        assert response.status_code == 303 and response.headers["Location"] == path
    assert rows(Referral) == rows(InformationRequest) == 0


# Ids and numbers no column can hold (every id is an INTEGER, 32 bits on PostgreSQL): a URL with one is not found, a
# query with one is as if the filter were left empty, and a form with one says what to correct.

NOT_IDS = [
    "0",
    "-1",
    "2147483648",  # 2^31, one past the largest id a row can have on PostgreSQL
    "9223372036854775808",  # 2^63, past SQLite's too
    "9" * 5000,
    "1e5",
    "١",  # ARABIC-INDIC DIGIT ONE, which int() reads as 1
]
LARGEST_ID = "2147483647"
HOSTILE_NUMBERS = [*NOT_IDS, "18446744073709551616", "²", " "]

# Every staff account in the walk below; which one asks for a route is the first role it allows.
STAFF_ROLES = ("admin", "caseworker", "dpo", "manager", "volunteer")


def signed_in_browsers(app, users) -> dict[str, tuple]:
    """A signed-in client per role, with its CSRF token."""
    browsers = {}
    for role in STAFF_ROLES:
        browser = app.test_client()
        sign_in(browser, app, users[role])
        browsers[role] = (browser, csrf_token(browser))
    return browsers


def id_arguments(rule) -> list[str]:
    return re.findall(r"<int:(\w+)>", rule.rule)


@pytest.mark.parametrize("bad_id", [*NOT_IDS, LARGEST_ID])
def test_an_id_no_row_has_in_any_url_is_not_found(app, world, bad_id):
    """Each id in each URL in turn, the others real, as someone the route lets in: 404 whether the
    id is out of every column's range (no route matches) or the largest possible (no row has it)."""
    users, values, _ = world
    browsers = signed_in_browsers(app, users)
    anonymous = (app.test_client(), "")
    tried = 0
    for rule in app.url_map.iter_rules():
        allowed = getattr(app.view_functions[rule.endpoint], "allowed_roles", frozenset())
        browser, token = browsers[min(allowed & set(STAFF_ROLES))] if allowed & set(STAFF_ROLES) else anonymous
        for argument in id_arguments(rule):
            path = rule.rule
            for name in id_arguments(rule):
                path = path.replace(f"<int:{name}>", bad_id if name == argument else str(values.get(name, 1)))
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = {"csrf_token": token} if method == "POST" else None
                response = browser.open(path, method=method, data=data)
                assert response.status_code == 404, (method, path[:80], response.status_code)
                tried += 1
    assert tried > 40, "every route with an id in its URL was tried"


QUERY_FIELDS = [
    ("manager", "/staff/audit", "actor"),
    ("manager", "/staff/audit", "record_id"),
    ("dpo", "/staff/audit", "page"),
    ("manager", "/staff/cases", "worker"),
    ("manager", "/staff/cases", "page"),
    ("volunteer", "/staff/cases", "page"),
    ("manager", "/staff/referrals", "page"),
    ("dpo", "/staff/requests", "page"),
    ("manager", "/staff/requests", "page"),
]


@pytest.mark.parametrize(("role", "path", "field"), QUERY_FIELDS)
def test_a_number_no_row_has_in_a_query_is_ignored(app, role, path, field):
    browser = app.test_client()
    sign_in(browser, app, make_staff(app, role))
    for value in HOSTILE_NUMBERS:
        response = browser.get(path, query_string={field: value})
        assert response.status_code == 200, (path, field, value[:40], response.status_code)


FORM_FIELDS = [
    ("manager", "/staff/referrals/{referral_id}/assign", "assignee", {}),
    ("manager", "/staff/cases/{case_id}/assign", "assignee", {}),
    (
        "caseworker",
        "/staff/cases/{case_id}/disclosures/new/with-consent",
        "consent_party_id",
        {"what_was_shared": "The EHC plan."},
    ),
    ("caseworker", "/staff/cases/{case_id}/notes/{note_id}", "version", {"note": "Called mum again."}),
    ("caseworker", "/staff/cases/{case_id}/details", "version", {"status": "open"}),
    ("dpo", "/staff/requests/{request_id}/records", "records", {}),
    ("dpo", "/staff/requests/{request_id}/extension", "extension_months", {"extension_reason": "Many records."}),
    ("manager", "/staff/requests/{request_id}/public-interest-extension", "pi_working_days", {"pi_exemption": "s.36"}),
]


@pytest.mark.parametrize(("role", "path", "field", "rest"), FORM_FIELDS)
def test_a_number_no_row_has_in_a_form_is_refused_with_the_form(app, world, role, path, field, rest):
    """Refused as the form's own error (400), or as an edit that cannot be the one on record (409)."""
    users, values, own_values = world
    path = path.format(**(values | own_values.get(role, {})))
    browser = app.test_client()
    sign_in(browser, app, users[role])
    token = csrf_token(browser)
    for value in HOSTILE_NUMBERS:
        response = browser.post(path, data={"csrf_token": token, **rest, field: value})
        assert response.status_code in (400, 409), (path, field, value[:40], response.status_code)
