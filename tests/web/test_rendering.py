"""Pages drawn once (``portal.rendering``) are the pages drawn in full, byte for byte but for
whitespace and each visitor's CSRF token; what is kept never holds a visitor's token, answers or
errors; and the GOV.UK widgets called straight draw what govuk-frontend-wtf's templates draw."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask, render_template_string
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from portal import rendering
from portal.public.forms import ProfessionalReferralForm, SelfReferralForm, SubjectAccessForm
from portal.services import clock
from tests.bulk import insert_cases, insert_referrals, insert_timeline
from tests.journeys import (
    error_summary,
    hidden_value,
    professional_answers,
    records_answers,
    self_referral_answers,
    walk,
)
from tests.staff import csrf_token, date_fields, make_staff, sign_in

FORM_PAGES = ["/refer/self", "/refer/professional", "/requests/records", "/requests/foi", "/requests/complaint"]
TOKEN = re.compile(r'(name="csrf_token" value=")([^"]+)(")')


def normalised(html: str) -> list[str]:
    """The page's lines without their indentation or blank lines, every CSRF token the same."""
    return [line.strip() for line in TOKEN.sub(r"\1T\3", html).splitlines() if line.strip()]


def tokens(html: str) -> set[str]:
    return {match.group(2) for match in TOKEN.finditer(html)}


def drawn_in_full(client, path: str, **kwargs):
    rendering.DRAW_ONCE = False
    try:
        return client.open(path, **kwargs)
    finally:
        rendering.DRAW_ONCE = True


def kept_drawings(app: Flask) -> str:
    return "\n".join(app.extensions.get(rendering.DRAWINGS, {}).values())


@pytest.mark.parametrize("path", FORM_PAGES)
def test_a_blank_form_page_drawn_once_is_the_page_drawn_in_full(app, path):
    visitor = app.test_client()
    full = drawn_in_full(visitor, path).get_data(as_text=True)
    visitor.get(path)  # drawn (and kept) now, if no earlier test did
    kept = visitor.get(path).get_data(as_text=True)
    assert normalised(kept) == normalised(full)
    assert len(tokens(kept)) == 1 and rendering.PLACEHOLDER_PREFIX not in kept


def test_two_visitors_of_a_kept_form_page_each_get_their_own_token_and_only_theirs_works(app):
    first, second = app.test_client(), app.test_client()
    first_token, second_token = (
        hidden_value(client.get("/refer/self").get_data(as_text=True), "csrf_token") for client in (first, second)
    )
    assert first_token != second_token
    drawings = kept_drawings(app)
    assert first_token not in drawings and second_token not in drawings
    assert rendering.PLACEHOLDER_PREFIX + rendering.CSRF_VALUE in drawings

    answers = self_referral_answers()
    assert first.post("/refer/self", data={**answers, "csrf_token": first_token}).status_code == 303
    assert second.post("/refer/self", data={**answers, "csrf_token": first_token}).status_code == 400


def test_a_form_with_errors_is_drawn_in_full_and_never_kept(app):
    visitor = app.test_client()
    token = visitor.csrf_token("/refer/professional")
    answers = professional_answers(referrer_name="Priya Unkept", referrer_email="not an address", csrf_token=token)
    refused = visitor.post("/refer/professional", data=answers)
    assert ("#referrer_email", "Enter an email address in the correct format, like name@example.com") in error_summary(
        refused.get_data(as_text=True)
    )
    full = drawn_in_full(visitor, "/refer/professional", method="POST", data=answers)
    assert normalised(refused.get_data(as_text=True)) == normalised(full.get_data(as_text=True))
    drawings = kept_drawings(app)
    assert "Priya Unkept" not in drawings and "correct format" not in drawings and token not in drawings


def test_a_form_reopened_with_answers_and_its_check_page_are_drawn_as_in_full(app):
    visitor = app.test_client()
    walk(visitor, "/requests/records", records_answers(full_name="Morgan Kept-Nowhere"))
    check = visitor.get("/requests/records/check")
    full_check = drawn_in_full(visitor, "/requests/records/check")
    assert normalised(check.get_data(as_text=True)) == normalised(full_check.get_data(as_text=True))
    [change] = re.findall(r'href="([^"#]+)#wanted"', check.get_data(as_text=True))
    reopened = visitor.get(change)
    full = drawn_in_full(visitor, change)
    assert "Morgan Kept-Nowhere" in check.get_data(as_text=True)
    assert "Everything you hold about my daughter" in reopened.get_data(as_text=True)
    assert normalised(reopened.get_data(as_text=True)) == normalised(full.get_data(as_text=True))
    assert "Morgan Kept-Nowhere" not in kept_drawings(app)


def test_a_check_page_refused_for_want_of_agreement_is_drawn_as_in_full(app):
    visitor = app.test_client()
    html = walk(visitor, "/refer/self", self_referral_answers()).get_data(as_text=True)
    unagreed = {"csrf_token": hidden_value(html, "csrf_token"), "send": "yes"}
    unagreed["privacy_version"] = hidden_value(html, "privacy_version")
    refused = visitor.post("/refer/self/check", data=unagreed)
    full = drawn_in_full(visitor, "/refer/self/check", method="POST", data=unagreed)
    assert refused.status_code == 200 and "govuk-error-summary" in refused.get_data(as_text=True)
    assert normalised(refused.get_data(as_text=True)) == normalised(full.get_data(as_text=True))


@pytest.mark.parametrize("form_class", [SelfReferralForm, ProfessionalReferralForm, SubjectAccessForm])
@pytest.mark.parametrize("state", ["blank", "answered", "refused"])
def test_each_widget_draws_what_govuk_frontend_wtf_draws(app, form_class, state):
    answers = {
        "blank": {},
        "answered": {**self_referral_answers(), **professional_answers(), **records_answers()},
        "refused": {"email": "not an address", "child_date_of_birth": ["31", "2", "2015"], "phone": "12"},
    }[state]
    data = MultiDict(
        [
            (name, value)
            for name, values in answers.items()
            for value in ([values] if isinstance(values, str) else values)
        ]
    )
    with app.test_request_context("/refer/self", method="POST" if state != "blank" else "GET", data=data):
        form = form_class(meta={"csrf": False})
        if state != "blank":
            form.validate()
        for field in form:
            if not isinstance(field.widget, rendering.MacroWidget):
                continue
            govuk_frontend_wtf_widget = type(field.widget).__bases__[1]()
            assert field() == govuk_frontend_wtf_widget(field), f"{form_class.__name__}.{field.name} ({state})"


def test_the_case_page_with_several_consents_is_drawn_as_in_full_and_keeps_no_case_data(app):
    manager, caseworker = make_staff(app, "manager"), make_staff(app, "caseworker")
    cases = insert_cases(app, 2, opened_by=manager.id, assigned_to=caseworker.id, seed=7)
    insert_timeline(app, cases.first_id, 80, recorded_by=(caseworker.id, manager.id), approved_by=manager.id, seed=7)
    browser = app.test_client()
    sign_in(browser, app, manager)
    page = f"/staff/cases/{cases.first_id}/consent-and-disclosures"
    full = drawn_in_full(browser, page).get_data(as_text=True)
    browser.get(page)
    kept = browser.get(page).get_data(as_text=True)
    assert kept.count("Record that this consent was withdrawn") > 1, "the case has several current consents"
    assert normalised(kept) == normalised(full)
    # The other case's page is drawn from the same drawings, with its own links and ids.
    other = f"/staff/cases/{cases.last_id}/consent-and-disclosures"
    assert normalised(browser.get(other).get_data(as_text=True)) == normalised(
        drawn_in_full(browser, other).get_data(as_text=True)
    )
    assert f"/staff/cases/{cases.first_id}/" not in kept_drawings(app)
    assert tokens(kept_drawings(app)) <= {rendering.PLACEHOLDER_PREFIX + rendering.CSRF_VALUE}


def test_a_refused_withdrawal_redraws_the_case_page_in_full_with_the_answers_and_keeps_nothing(app):
    manager, caseworker = make_staff(app, "manager"), make_staff(app, "caseworker")
    cases = insert_cases(app, 1, opened_by=manager.id, assigned_to=caseworker.id, seed=8)
    insert_timeline(app, cases.first_id, 40, recorded_by=(caseworker.id, manager.id), approved_by=manager.id, seed=8)
    browser = app.test_client()
    sign_in(browser, app, manager)
    page = f"/staff/cases/{cases.first_id}"
    consents = browser.get(f"{page}/consent-and-disclosures").get_data(as_text=True)
    consent_id = re.search(r'/consent/(\d+)/withdraw"', consents).group(1)
    next_year = date_fields("withdrawn_on", clock.london_today() + dt.timedelta(days=400))
    refused_data = {"csrf_token": csrf_token(browser), "withdrawn_by": "parent_carer", **next_year}
    withdraw = f"{page}/consent/{consent_id}/withdraw"
    refused = browser.post(withdraw, data=refused_data)
    full = drawn_in_full(browser, withdraw, method="POST", data=refused_data)
    assert refused.status_code == 400
    assert 'href="#withdrawn_on-day"' in refused.get_data(as_text=True)
    assert normalised(refused.get_data(as_text=True)) == normalised(full.get_data(as_text=True))
    assert "govuk-error" not in kept_drawings(app)


def test_the_referral_page_is_drawn_as_in_full(app):
    insert_referrals(app, 12, seed=9)
    browser = app.test_client()
    sign_in(browser, app, make_staff(app, "manager"))
    queue = browser.get("/staff/referrals").get_data(as_text=True)
    for referral_id in sorted(set(re.findall(r'href="/staff/referrals/(\d+)"', queue))):
        page = f"/staff/referrals/{referral_id}"
        full = drawn_in_full(browser, page).get_data(as_text=True)
        assert normalised(browser.get(page).get_data(as_text=True)) == normalised(full), page


def test_a_token_drawn_into_a_part_kept_for_everyone_is_refused(app):
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match="kept for everyone"):
            render_template_string(
                "{% call(fill) drawn_once('test: a token drawn in') %}{{ token() }}{% endcall %}", token=generate_csrf
            )
        assert ("part", "test: a token drawn in", "") not in app.extensions.get(rendering.DRAWINGS, {})
