"""Valid answers for the referral and request forms, and helpers that walk a journey through a test client.

The walks are for tests of the forms themselves. A test that only needs a referral to work on
makes it with ``tests.factories`` (the same answers, through the services), which skips the form,
check and confirmation pages.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from portal.services.clock import london_today


def _date_parts(day: dt.date) -> list[str]:
    return [str(day.day), str(day.month), str(day.year)]


def self_referral_answers(**overrides: object) -> dict[str, object]:
    answers: dict[str, object] = {
        "completed_by": "parent_carer",
        "parent_carer_name": "Zoë Ó Briain-Nakamura",
        "child_name": "Siân 李 Ó Briain",
        "child_date_of_birth": ["14", "3", "2015"],
        "school_or_setting": "Riverside Primary School",
        "needs": "Autism and speech delay.\nWe would like help asking for an EHC needs assessment.",
        "email": "zoe.family@example.com",
        "phone": "07700 900982",
        "address_line_1": "1 Example Street",
        "address_line_2": "",
        "address_town": "Bath",
        "postcode": "ba1 1aa",
        "preferred_contact": "email",
        "website": "",
    }
    answers.update(overrides)
    return answers


def professional_answers(**overrides: object) -> dict[str, object]:
    consent_day = london_today() - dt.timedelta(days=3)
    answers: dict[str, object] = {
        "referrer_name": "Priya Shah",
        "referrer_job_title": "Family Support Worker",
        "referrer_organisation": "Riverside Primary School",
        "referrer_email": "p.shah@riverside.example.org",
        "referrer_phone": "01632 960001",
        "child_name": "Tomasz Kowalski",
        "child_date_of_birth": ["2", "9", "2012"],
        "school_or_setting": "Riverside Primary School",
        "contact_through": "parent_carer",
        "parent_carer_name": "Anna Kowalska",
        "email": "anna.k@example.com",
        "phone": "07700 900123",
        "address_line_1": "",
        "address_line_2": "",
        "address_town": "",
        "postcode": "",
        "preferred_contact": "phone",
        "reason": "Tomasz has been excluded twice this term; his mother would like advice on the process.",
        "consent_given_by": "parent_carer",
        "consent_given_on": _date_parts(consent_day),
        "consent_method": "verbal",
        "consent_confirmed": "y",
        "website": "",
    }
    answers.update(overrides)
    return answers


def records_answers(**overrides: object) -> dict[str, object]:
    """A parent asking for their child's records, to be sent by post."""
    answers: dict[str, object] = {
        "acting_as": "parent_carer",
        "authority": "",
        "full_name": "Zoë Ó Briain-Nakamura",
        "subject_name": "Siân 李 Ó Briain",
        "subject_other_names": "Siân Nakamura",
        "subject_date_of_birth": ["14", "3", "2010"],
        "reference_given": "",
        "wanted": "Everything you hold about my daughter,\nincluding notes from the meeting in March 2026.",
        "email": "zoe.family@example.com",
        "phone": "07700 900982",
        "address_line_1": "1 Example Street",
        "address_line_2": "",
        "address_town": "Bath",
        "postcode": "ba1 1aa",
        "preferred_contact": "letter",
        "identity_check": "documents",
        "website": "",
    }
    answers.update(overrides)
    return answers


def foi_answers(**overrides: object) -> dict[str, object]:
    answers: dict[str, object] = {
        "wanted": "How many families did the service support in 2025, by type of need?",
        "full_name": "Morgan Reyes",
        "email": "morgan.reyes@example.net",
        "address_line_1": "",
        "address_line_2": "",
        "address_town": "",
        "postcode": "",
        "preferred_contact": "email",
        "website": "",
    }
    answers.update(overrides)
    return answers


def complaint_answers(**overrides: object) -> dict[str, object]:
    answers: dict[str, object] = {
        "full_name": "Anna Kowalska",
        "email": "anna.k@example.com",
        "phone": "07700 900123",
        "address_line_1": "",
        "address_line_2": "",
        "address_town": "",
        "postcode": "",
        "preferred_contact": "phone",
        "reference_given": "",
        "complaint": "A letter about my son's exclusion was sent to my old address.",
        "remedy_wanted": "Update my address and tell me who else saw the letter.",
        "website": "",
    }
    answers.update(overrides)
    return answers


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def walk(client, path: str, answers: dict[str, object]):
    """Answer every question page of the journey starting at ``path`` from ``answers`` (each page
    takes the answers it asks), following the redirects; returns the check-answers page when the
    answers are valid, else the first page that refused them."""
    token = client.csrf_token(path)
    response = client.post(path, data={**answers, "csrf_token": token})
    for _ in range(20):  # more than any journey's pages
        if response.status_code not in (302, 303):
            return response
        location = response.headers["Location"]
        if location.split("?")[0].endswith("/check"):
            # The check page itself sends the person back to a page with a problem, if any.
            return client.get(location, follow_redirects=True)
        response = client.post(location, data={**answers, "csrf_token": token})
    raise AssertionError(f"the journey from {path} never reached its check page")


def start(client, route: str, answers: dict[str, object]):
    """Fill in the referral's question pages; returns the check-answers page when the answers are valid."""
    return walk(client, f"/refer/{route}", answers)


def send(client, route: str, check_page, agree: bool = True, **extra: str):
    """Press "Accept and send" on a check-answers page (the answers are the ones kept in the browser)."""
    html = check_page.get_data(as_text=True)
    data = {
        "csrf_token": hidden_value(html, "csrf_token"),
        "privacy_version": hidden_value(html, "privacy_version"),
        "send": "yes",
        **extra,
    }
    if agree:
        data["privacy_agreed"] = "yes"
    return client.post(f"/refer/{route}/check", data=data)


def request_start(client, kind: str, answers: dict[str, object]):
    """Fill in a request's question pages (records, foi or complaint); the check-answers page when
    the answers are valid."""
    return walk(client, f"/requests/{kind}", answers)


def request_send(client, kind: str, check_page, declare: bool = True, **extra: str):
    """Press the send button on a request's check-answers page, ticking the declaration if ``declare``."""
    html = check_page.get_data(as_text=True)
    data = {"csrf_token": hidden_value(html, "csrf_token"), "send": "yes"}
    if declare:
        data["declared"] = "yes"
    return client.post(f"/requests/{kind}/check", data={**data, **extra})


def error_summary(html: str) -> list[tuple[str, str]]:
    """(href, message) pairs from the page's GOV.UK error summary."""
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    if not summary:
        return []
    return [
        (href, html_lib.unescape(" ".join(text.split())))
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary.group(1), re.S)
    ]
