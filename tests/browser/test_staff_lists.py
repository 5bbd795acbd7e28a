"""The lists in a real browser: names, needs, worker and days waiting in the referral and case
lists, sorting by a column header, finding a family by name (by keyboard, errors included), the
requests queue's requester and stage, the audit log's references and date filter, and every
staff table scrolling inside its own box at 320 px wide, reachable by keyboard. axe finds nothing
on any of these pages or states; each is photographed under tests/output/screenshots/."""

from __future__ import annotations

from portal.services.clock import london_today
from tests.browser.helpers import Findings, error_links, focused, press_and_arrive, tab_until, visit
from tests.browser.staff_helpers import assign_in_database, queue_references, sign_in, submit_public_referral
from tests.factories import open_case
from tests.journeys import self_referral_answers
from tests.staff import make_staff
from tests.web.test_staff_requests import PARENT, make_sar

NARROW = {"width": 320, "height": 720}


def scroll_box_state(page, label: str) -> dict[str, int]:
    return page.evaluate(
        """(label) => {
            const box = document.querySelector(`[role=region][aria-label="${label}"]`);
            return {page: document.documentElement.scrollWidth, window: window.innerWidth,
                    box: box.clientWidth, table: box.scrollWidth, left: box.scrollLeft};
        }""",
        label,
    )


def test_the_lists_name_people_sort_search_and_scroll_in_their_own_box(page, app):
    made = submit_public_referral(app, "self")
    manager = make_staff(app, "manager", name="Mina Manager")
    worker = make_staff(app, "caseworker", name="Wendy Worker")
    assign_in_database(app, made, worker)
    open_case(app, manager.id)
    sign_in(page, app, manager)
    found = Findings(page)

    found.visit_and_check("/staff/referrals", "referral queue with names")
    page.shots.keep("referral queue with names")
    row = page.locator("table.govuk-table tbody tr", has_text=made.reference).inner_text()
    child = self_referral_answers()["child_name"]
    assert child in row and "Wendy Worker" in row and "of 10 working days" in row

    found.visit_and_check("/staff/referrals?sort=worker&order=ascending", "referral queue sorted by worker")
    assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("Worker")
    page.locator('th[aria-sort="none"] a', has_text="Status").click()
    page.wait_for_load_state("load")
    assert page.locator('th[aria-sort="ascending"]').inner_text().startswith("Status")

    # Search by keyboard: name typed, Enter on the search's own button.
    visit(page, "/staff/referrals", "referral queue before a search")
    page.locator("#name").focus()
    page.keyboard.type(child.upper())
    tab_until(page, "#postcode")
    tab_until(page, "form:has(#name) button")
    press_and_arrive(page, "Enter", "referrals found by name")
    assert made.reference in queue_references(page)
    found.check("referrals found by name")
    page.shots.keep("referrals found by name")

    assert page.locator("#name").input_value() == child.upper(), "what was typed stays in the box"
    page.locator("#name").fill("")
    page.locator("form:has(#name) button").click()
    page.wait_for_load_state("load")
    assert error_links(page) == [("#name", "Enter a full name, a date of birth or a postcode")]
    found.check("search by name sent empty")

    found.visit_and_check("/staff/cases", "case list with names")
    page.shots.keep("case list with names")
    assert child in page.locator("table.govuk-table tbody tr").first.inner_text()

    found.visit_and_check("/staff/audit", "audit log with references")
    page.shots.keep("audit log with references")
    found.visit_and_check("/staff/audit?from-day=31&from-month=2&from-year=2026", "audit log with a wrong date", 400)
    assert error_links(page) == [("#from-day", "The date from must be a real date")]

    # At 320 px the table scrolls inside its box, the page does not; the box takes focus and the
    # arrow keys scroll it.
    page.set_viewport_size(NARROW)
    found.visit_and_check("/staff/referrals", "referral queue at 320 px")
    state = scroll_box_state(page, "The referral queue")
    assert state["page"] <= state["window"], state
    assert state["table"] > state["box"], state
    page.locator('[role=region][aria-label="The referral queue"]').focus()
    assert "div" in focused(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('[role=region][aria-label=\"The referral queue\"]').scrollLeft > 0"
    )
    page.shots.keep("referral queue at 320 px scrolled", full_page=False)
    found.visit_and_check("/staff/cases", "case list at 320 px")
    assert scroll_box_state(page, "Cases")["page"] <= NARROW["width"]
    found.assert_none()
    page.watch.assert_clean()


def test_the_requests_queue_names_the_requester_and_the_stage(page, app):
    dpo = make_staff(app, "dpo", name="Dana Protection")
    made = make_sar(app, london_today())
    sign_in(page, app, dpo)
    found = Findings(page)
    found.visit_and_check("/staff/requests", "requests queue with requester and stage")
    page.shots.keep("requests queue with requester and stage")
    row = next(text for text in page.locator("table.govuk-table tbody tr").all_inner_texts() if made.reference in text)
    assert PARENT.full_name in row and "Received" in row
    page.set_viewport_size(NARROW)
    found.visit_and_check("/staff/requests", "requests queue at 320 px")
    assert scroll_box_state(page, "Requests")["page"] <= NARROW["width"]
    found.assert_none()
