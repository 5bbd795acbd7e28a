"""Case pages through HTTP: the overview, timeline and consent pages, an action page each, the
two-step disclosure, the check before closing, the print summary, conflicting edits, and who sees
what."""

import re
from html import unescape

import pytest

from portal.extensions import db
from portal.models import Case, StaffUser
from portal.services import case_codes, clock
from portal.services.clock import long_date
from portal.services.validation import add_years
from tests.factories import open_case
from tests.journeys import error_summary
from tests.staff import csrf_token, date_fields, make_staff, sign_in

CHILD = "Siân 李 Ó Briain"


@pytest.fixture
def case_id(app):
    return open_case(app, make_staff(app, "caseworker", name="First Caseworker").id)


def signed_in_as(app, *roles, name=None):
    browser = app.test_client()
    sign_in(browser, app, make_staff(app, *roles, name=name))
    return browser


def post(browser, path: str, **data: object):
    return browser.post(path, data={"csrf_token": csrf_token(browser), **data})


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def banner(response) -> str:
    """The success banner's words on a page (empty when there is none)."""
    html = response.get_data(as_text=True)
    found = re.search(
        r'govuk-notification-banner--success.*?<p class="govuk-notification-banner__heading">(.*?)</p>', html, re.S
    )
    return unescape(" ".join(found.group(1).split())) if found else ""


def followed(browser, response):
    """The page a redirect leads to (its banner shown once)."""
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return browser.get(response.headers["Location"])


def test_the_overview_is_headed_with_the_childs_name_and_says_why_they_were_referred(app, case_id):
    page = signed_in_as(app, "caseworker").get(f"/staff/cases/{case_id}")
    html = page.get_data(as_text=True)
    assert re.search(rf'<h1 class="govuk-heading-xl">{CHILD}</h1>', html)
    assert "Why they were referred" in html and "Autism and speech delay." in text_of(page)
    for part in ("Status", "Worker", "Next consent review", "Current consents", "Last contact"):
        assert part in html, part
    for link in (
        "timeline",
        "consent-and-disclosures",
        "notes",
        "contact",
        "consent",
        "disclosures/new",
        "details",
        "assign",
        "close",
        "print",
    ):
        assert f'href="/staff/cases/{case_id}/{link}"' in html, link


def test_the_casework_journey_through_the_action_pages(app, case_id):
    today = clock.london_today()
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"

    assert browser.get(f"{base}/consent").status_code == 200
    refused = post(browser, f"{base}/consent")
    assert refused.status_code == 400
    assert [href for href, _ in error_summary(refused.get_data(as_text=True))] == [
        "#given_by",
        "#given_on-day",
        "#consent_method",
        "#keeps_contact_information",
    ]
    consent = post(
        browser,
        f"{base}/consent",
        given_by="parent_carer",
        consent_method="written",
        keeps_contact_information="yes",
        parties="Riverside Primary School\nDr Patel, community paediatrician",
        **date_fields("given_on", today),
    )
    assert consent.headers["Location"] == f"{base}/consent-and-disclosures"
    assert banner(followed(browser, consent)) == "Consent recorded."

    step_two = post(browser, f"{base}/disclosures/new", route="with_consent")
    assert step_two.headers["Location"] == f"{base}/disclosures/new/with-consent"
    page = browser.get(step_two.headers["Location"]).get_data(as_text=True)
    party_id = re.search(r'<option value="(\d+)">Riverside Primary School</option>', page).group(1)
    shared = post(
        browser,
        f"{base}/disclosures/new/with-consent",
        consent_party_id=party_id,
        what_was_shared="The EHC needs assessment request",
        **date_fields("disclosed_on", today),
    )
    assert "Disclosure to Riverside Primary School recorded" in banner(followed(browser, shared))

    closed = post(browser, f"{base}/close/confirm", case_outcome="Advice given.", **date_fields("closed_on", today))
    destroyed = long_date(add_years(today, 3))
    assert banner(followed(browser, closed)) == f"Case closed. Its records are due for destruction on {destroyed}."
    assert f"due for destruction on {destroyed}" in browser.get(base).get_data(as_text=True)
    listing = browser.get(f"{base}/disclosures").get_data(as_text=True)
    assert "Riverside Primary School" in listing and "The EHC needs assessment request" in listing


@pytest.mark.parametrize(
    ("path", "form", "lands_on", "message"),
    [
        ("notes", {"note": "Mum called."}, "timeline", "Note added to the timeline."),
        (
            "contact",
            {"method": "call", "direction": "incoming", "summary": "Mum called."},
            "timeline",
            "Contact logged on the timeline.",
        ),
        (
            "details",
            {"topic": "ehc_plan", "intervention_level": "level_2", "status": "open", "version": "1"},
            "",
            "Case details saved.",
        ),
        ("reviews", {"outcome": "confirmed"}, "consent-and-disclosures", "Consent review recorded."),
    ],
)
def test_each_action_has_its_page_and_confirms_itself_with_a_banner(app, case_id, path, form, lands_on, message):
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    page = browser.get(f"{base}/{path}")
    assert page.status_code == 200 and f'action="{base}/{path}"' in page.get_data(as_text=True)
    dated = {"contact": "occurred_on", "reviews": "reviewed_on"}
    extra = date_fields(dated[path], clock.london_today()) if path in dated else {}
    done = post(browser, f"{base}/{path}", **form, **extra)
    assert done.headers["Location"] == (f"{base}/{lands_on}" if lands_on else base)
    shown = followed(browser, done)
    assert banner(shown).startswith(message)
    assert banner(browser.get(done.headers["Location"])) == "", "said once"


def test_assigning_and_withdrawing_consent_confirm_themselves(app, case_id):
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    with app.app_context():
        other = make_staff(app, "caseworker", name="Second Caseworker")
    assigned = post(browser, f"{base}/assign", assignee=str(other.id))
    assert banner(followed(browser, assigned)) == "The case and its referral are now assigned to Second Caseworker."
    today = clock.london_today()
    post(
        browser,
        f"{base}/consent",
        given_by="parent_carer",
        consent_method="verbal",
        keeps_contact_information="yes",
        **date_fields("given_on", today),
    )
    page = browser.get(f"{base}/consent-and-disclosures").get_data(as_text=True)
    withdraw = re.search(r'href="(/staff/cases/\d+/consent/\d+/withdraw)"', page).group(1)
    assert browser.get(withdraw).status_code == 200
    refused = post(browser, withdraw)
    assert refused.status_code == 400
    assert [href for href, _ in error_summary(refused.get_data(as_text=True))] == [
        "#withdrawn_by",
        "#withdrawn_on-day",
        "#withdrawn_method",
    ]
    done = post(
        browser, withdraw, withdrawn_by="parent_carer", withdrawn_method="verbal", **date_fields("withdrawn_on", today)
    )
    assert banner(followed(browser, done)) == "Withdrawal recorded. Nothing more can be shared on that consent."


def test_closing_asks_are_you_sure_showing_the_outcome_and_date_and_closes_nothing_until_confirmed(app, case_id):
    today = clock.london_today()
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    assert browser.get(f"{base}/close").status_code == 200
    refused = post(browser, f"{base}/close", case_outcome="")
    assert refused.status_code == 400
    assert [href for href, _ in error_summary(refused.get_data(as_text=True))] == ["#case_outcome", "#closed_on-day"]

    check = post(
        browser, f"{base}/close", case_outcome="Advice given.\nEHC plan agreed.", **date_fields("closed_on", today)
    )
    assert check.status_code == 200
    shown = text_of(check)
    assert "Are you sure you want to close this case?" in shown
    assert "Advice given." in shown and long_date(today) in shown and long_date(add_years(today, 3)) in shown
    assert f'action="{base}/close/confirm"' in check.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Case, case_id).status == "open", "the check page closes nothing"

    changed = browser.post(
        f"{base}/close",
        data={
            "csrf_token": csrf_token(browser),
            "change": "yes",
            "case_outcome": "Advice given.",
            **date_fields("closed_on", today),
        },
    )
    assert changed.status_code == 200 and ">Advice given.</textarea>" in changed.get_data(as_text=True)

    confirmed = post(browser, f"{base}/close/confirm", case_outcome="Advice given.", **date_fields("closed_on", today))
    assert confirmed.headers["Location"] == base
    assert banner(followed(browser, confirmed)).startswith("Case closed.")
    with app.app_context():
        assert db.session.get(Case, case_id).status == "closed"
    reopen_page = browser.get(f"{base}/reopen")
    assert reopen_page.status_code == 200 and "Reopen case" in reopen_page.get_data(as_text=True)
    reopened = post(browser, f"{base}/reopen")
    assert banner(followed(browser, reopened)).startswith("Case reopened. The next consent review is due ")


def test_a_disclosure_is_two_steps_and_each_step_says_what_is_missing(app, case_id):
    today = clock.london_today()
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    first = browser.get(f"{base}/disclosures/new").get_data(as_text=True)
    assert 'value="with_consent"' in first and 'value="without_consent"' in first
    unchosen = post(browser, f"{base}/disclosures/new")
    assert unchosen.status_code == 400
    assert error_summary(unchosen.get_data(as_text=True)) == [
        ("#route", "Choose whether the information was shared with the family’s consent or without it")
    ]
    assert post(browser, f"{base}/disclosures/new", route="without_consent").headers["Location"] == (
        f"{base}/disclosures/new/without-consent"
    )

    no_consent_yet = browser.get(f"{base}/disclosures/new/with-consent").get_data(as_text=True)
    assert "No current consent on this case names anyone" in no_consent_yet and "consent_party_id" not in no_consent_yet
    refused = post(
        browser, f"{base}/disclosures/new/with-consent", what_was_shared="Reports", **date_fields("disclosed_on", today)
    )
    assert refused.status_code == 400
    assert error_summary(refused.get_data(as_text=True))[0][0] == "#consent_party_id"

    legal = browser.get(f"{base}/disclosures/new/without-consent").get_data(as_text=True)
    assert 'name="basis" type="radio" value="consent"' not in legal and 'value="child_protection"' in legal
    empty = post(browser, f"{base}/disclosures/new/without-consent")
    assert [href for href, _ in error_summary(empty.get_data(as_text=True))] == [
        "#disclosed_on-day",
        "#what_was_shared",
        "#basis",
    ]
    # The page's ground decides: "consent" sent to the legal page is no basis at all.
    as_consent = post(
        browser,
        f"{base}/disclosures/new/without-consent",
        basis="consent",
        recipient="School",
        justification="x",
        what_was_shared="x",
        **date_fields("disclosed_on", today),
    )
    assert as_consent.status_code == 400 and error_summary(as_consent.get_data(as_text=True))[0][0] == "#basis"
    held = post(
        browser,
        f"{base}/disclosures/new/without-consent",
        basis="child_protection",
        recipient="Children's services",
        justification="Risk of harm reported by school.",
        what_was_shared="The referral and notes",
        **date_fields("disclosed_on", today),
    )
    assert "recorded as awaiting approval" in banner(followed(browser, held))
    assert "Awaiting approval" in browser.get(f"{base}/consent-and-disclosures").get_data(as_text=True)


def test_the_timeline_shows_each_entrys_date_and_time_and_filters_by_kind(app, case_id, time_machine):
    from tests.clock import london

    today = clock.london_today()
    time_machine.move_to(london(today, 14, 5), tick=False)
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    post(browser, f"{base}/notes", note="Mum called about transport.")
    post(
        browser,
        f"{base}/contact",
        method="call",
        direction="incoming",
        summary="School rang.",
        **date_fields("occurred_on", today),
    )
    everything = browser.get(f"{base}/timeline")
    shown = text_of(everything)
    assert f"Written {long_date(today)}, 2:05pm by" in shown and f"Recorded {long_date(today)}, 2:05pm by" in shown
    assert "Mum called about transport." in shown and "School rang." in shown

    notes_only = browser.get(f"{base}/timeline?kind=note")
    html = notes_only.get_data(as_text=True)
    assert "Mum called about transport." in html and "School rang." not in html
    assert 'value="note" checked' in html and "Show everything" in html
    both = browser.get(f"{base}/timeline?kind=note&kind=contact").get_data(as_text=True)
    assert "Mum called about transport." in both and "School rang." in both
    unknown = browser.get(f"{base}/timeline?kind=nonsense&kind=%00")
    assert unknown.status_code == 200 and "School rang." in unknown.get_data(as_text=True)


def test_the_print_summary_is_for_those_who_may_print_and_is_refused_to_volunteers(app, case_id):
    caseworker = signed_in_as(app, "caseworker")
    summary = caseworker.get(f"/staff/cases/{case_id}/print")
    html = summary.get_data(as_text=True)
    assert summary.status_code == 200 and CHILD in html and "Autism and speech delay." in text_of(summary)
    assert 'href="/assets/sps/case-print.css"' in html and "<style" not in html and " style=" not in html

    volunteer = signed_in_as(app, "volunteer")
    with app.app_context():
        [volunteer_id] = [
            user.id for user in db.session.scalars(db.select(StaffUser)).all() if user.role_set == {"volunteer"}
        ]
        db.session.get(Case, case_id).assigned_to_id = volunteer_id
        db.session.commit()
    assert volunteer.get(f"/staff/cases/{case_id}/print").status_code == 403
    assert "/print" not in volunteer.get(f"/staff/cases/{case_id}").get_data(as_text=True)


def test_every_page_of_the_case_is_audited_naming_the_page(app, case_id):
    from portal.models.audit import AuditEntry

    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    for path in ("", "/timeline", "/consent-and-disclosures", "/notes", "/close", "/print"):
        assert browser.get(base + path).status_code == 200, path
    with app.app_context():
        seen = db.session.execute(
            db.select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.record_id == case_id)
            .order_by(AuditEntry.sequence)
        ).all()
    assert [tuple(row) for row in seen if row.action != "case note added"][-6:] == [
        ("case viewed", None),
        ("case viewed", "timeline"),
        ("case viewed", "consent and disclosures"),
        ("case viewed", "add a note"),
        ("case viewed", "close"),
        ("case summary printed", None),
    ]


def test_a_second_save_of_a_note_gets_the_conflict_page_with_both_texts(app, case_id):
    first = signed_in_as(app, "caseworker")
    second = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    assert post(first, f"{base}/notes", note="Mum called.").status_code == 302
    note_id = re.search(r'id="note-(\d+)"', first.get(f"{base}/timeline").get_data(as_text=True)).group(1)
    saved = post(first, f"{base}/notes/{note_id}", note="Mum called about transport.", version="1")
    assert banner(followed(first, saved)) == "Note saved. Its earlier text is kept."
    conflict = post(second, f"{base}/notes/{note_id}", note="Mum called about the EHC plan.", version="1")
    assert conflict.status_code == 409
    html = conflict.get_data(as_text=True)
    assert "Someone else saved a change first" in html
    assert "Mum called about transport." in html and "Mum called about the EHC plan." in html
    kept = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert post(second, f"{base}/notes/{note_id}", note="Transport and the EHC plan.", version=kept).status_code == 302
    manager = signed_in_as(app, "manager")
    page = manager.get(f"{base}/timeline").get_data(as_text=True)
    assert "Earlier versions (2)" in page and "Mum called about transport." in page


def test_the_data_protection_team_sees_disclosures_but_not_the_case(app, case_id):
    dpo = signed_in_as(app, "dpo")
    for path in ("", "/timeline", "/consent-and-disclosures", "/print"):
        assert dpo.get(f"/staff/cases/{case_id}{path}").status_code == 403, path
    assert dpo.get(f"/staff/cases/{case_id}/disclosures").status_code == 200
    assert dpo.get("/staff/cases/999999/disclosures").status_code == 404


def test_a_volunteer_reaches_only_their_case_and_cannot_print_it(app, case_id):
    volunteer = signed_in_as(app, "volunteer")
    assert volunteer.get(f"/staff/cases/{case_id}").status_code == 404
    with app.app_context():
        [volunteer_id] = [
            user.id for user in db.session.scalars(db.select(StaffUser)).all() if user.role_set == {"volunteer"}
        ]
        db.session.get(Case, case_id).assigned_to_id = volunteer_id
        db.session.commit()
    for path in ("", "/timeline", "/consent-and-disclosures"):
        page = volunteer.get(f"/staff/cases/{case_id}{path}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "sps-no-print" in html
        assert "Record consent" not in html and "Close the case" not in html and "Record a disclosure" not in html
        assert not re.search(r"(?i)download|export|\.pdf|/print", html)
    assert post(volunteer, f"/staff/cases/{case_id}/notes", note="Visited the school with mum.").status_code == 302
    assert post(volunteer, f"/staff/cases/{case_id}/close", case_outcome="x").status_code == 403
    assert volunteer.get(f"/staff/cases/{case_id}/close").status_code == 403


def stored_codes(app, case_id: int) -> tuple[str | None, str | None]:
    """The case's topic and level as the database holds them, not as any page shows them."""
    with app.app_context():
        query = db.text("SELECT topic, intervention_level FROM cases WHERE id = :id")
        return tuple(db.session.execute(query, {"id": case_id}).one())


def test_topics_and_levels_are_stored_as_codes_shown_as_labels_and_a_renamed_label_changes_no_row(
    app, case_id, monkeypatch
):
    browser = signed_in_as(app, "caseworker")
    base = f"/staff/cases/{case_id}"
    page = browser.get(f"{base}/details").get_data(as_text=True)
    assert '<option value="ehc_plan">EHC plan</option>' in page
    assert '<option value="level_3">Level 3: casework</option>' in page
    saved = post(browser, f"{base}/details", topic="ehc_plan", intervention_level="level_3", status="open", version="1")
    assert saved.status_code == 302
    assert stored_codes(app, case_id) == ("ehc_plan", "level_3")
    page = browser.get(base).get_data(as_text=True)
    assert "EHC plan" in page and "Level 3: casework" in page

    monkeypatch.setitem(case_codes.TOPICS, "ehc_plan", "Education, health and care plan")
    page = browser.get(base).get_data(as_text=True)
    assert "Education, health and care plan" in page
    assert stored_codes(app, case_id) == ("ehc_plan", "level_3"), "rewording a label leaves every row as it was"

    as_text = post(browser, f"{base}/details", topic="EHC plan", intervention_level="", status="open", version="2")
    assert as_text.status_code == 400
    assert error_summary(as_text.get_data(as_text=True)) == [("#topic", "Choose a topic from the list")]
    assert 'value="2"' in as_text.get_data(as_text=True), "the version seen is kept through a refusal"
