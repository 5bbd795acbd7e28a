"""Nothing in any output of the statistics is a reference, a name, a school, an address, free text
or a date finer than the year (design section 9): a year of casework with distinctive details is
published as the page's HTML, the tidy CSV and the PDF, and none of its details is found in them."""

from __future__ import annotations

import datetime as dt
import subprocess

from portal.extensions import db
from portal.models import Referral
from portal.services import casework, clock, contact, triage
from portal.services.academic_year import AcademicYear
from portal.services.audit import Actor, system_actor
from portal.services.statistics import download
from tests.clock import london
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import make_staff

YEAR = AcademicYear.named("2025-26")
DETAILS = {
    "parent_carer_name": "Philippa Quennell-Vasquez",
    "child_name": "Barnaby Quennell-Vasquez",
    "school_or_setting": "Thistlewood Academy",
    "needs": "Dyspraxia and a stammer; exclusion appeal pending.",
    "email": "philippa.qv@example.com",
    "phone": "07700 900555",
    "address_line_1": "27 Marigold Crescent",
    "address_town": "Frome",
    "postcode": "BA11 4QQ",
}


def test_no_output_holds_a_reference_a_name_a_school_free_text_or_an_exact_date(app, app_context, time_machine):
    time_machine.move_to(london(dt.date(2025, 11, 13)), tick=False)
    worker = make_staff(app, "caseworker", name="Ottoline Featherstonehaugh")
    made = submit_referral(app, "self", self_referral_answers(**DETAILS))
    acts = Actor(worker.id, "192.0.2.1", clock.now())
    referral = db.session.get(Referral, made.id)
    case = triage.accept(referral, acts, acts.today, 6)
    contact.log_contact(
        referral,
        contact.ContactDetails(acts.today, "call", "outgoing", "Spoke to Philippa about Thistlewood."),
        acts,
        acts.today,
        case,
    )
    casework.add_note(case, "Barnaby's appeal is at Thistlewood on Tuesday.", acts)
    time_machine.move_to(london(dt.date(2026, 3, 19)), tick=False)
    acts = Actor(worker.id, "192.0.2.1", clock.now())
    casework.close(case, "Appeal won at Thistlewood.", acts.today, acts, acts.today)

    time_machine.move_to(london(dt.date(2026, 10, 5)), tick=False)
    actor = system_actor(clock.now())
    html = download(YEAR.name, "html", None, actor).content.decode()
    tidy_csv = download(YEAR.name, "csv", None, actor).content.decode()
    pdf_text = subprocess.run(
        ["pdftotext", "-", "-"], input=download(YEAR.name, "pdf", None, actor).content, capture_output=True, check=True
    ).stdout.decode()

    forbidden = [
        made.reference,
        *DETAILS.values(),
        "Quennell",
        "Thistlewood",
        "Philippa",
        "Barnaby",
        "Featherstonehaugh",
        "Marigold",
        "appeal",
        "13 November 2025",
        "2025-11-13",
        "19 March 2026",
        "2026-03-19",
        "14 March 2015",  # the child's date of birth in the default answers' form
    ]
    for name, text in (("HTML", html), ("CSV", tidy_csv), ("PDF", pdf_text)):
        found = [item for item in forbidden if item.casefold() in text.casefold()]
        assert not found, f"the {name} holds {found}"
    assert "2025-26" in tidy_csv and "2025-26" in pdf_text, "the outputs name their year"
