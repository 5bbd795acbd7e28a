"""Valid answers for both referral forms, and helpers that walk a journey through a test client."""

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


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def start(client, route: str, answers: dict[str, object]):
    """Fill in the form page; returns the response (check-answers page when the answers are valid)."""
    token = client.csrf_token(f"/refer/{route}")
    return client.post(f"/refer/{route}", data={**answers, "csrf_token": token})


def send(client, route: str, check_page, agree: bool = True, **extra: str):
    """Press "Accept and send" on a check-answers page."""
    html = check_page.get_data(as_text=True)
    data = {
        "csrf_token": hidden_value(html, "csrf_token"),
        "sealed": hidden_value(html, "sealed"),
        "privacy_version": hidden_value(html, "privacy_version"),
        "send": "yes",
        **extra,
    }
    if agree:
        data["privacy_agreed"] = "yes"
    return client.post(f"/refer/{route}/check", data=data)


def error_summary(html: str) -> list[tuple[str, str]]:
    """(href, message) pairs from the page's GOV.UK error summary."""
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    if not summary:
        return []
    return [
        (href, html_lib.unescape(" ".join(text.split())))
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', summary.group(1), re.S)
    ]
