"""The number of SQL statements the casework pages run does not grow with the cases, nor with a
case's timeline.

As ``test_query_counts`` does for the triage pages: every statement the app's engine sends is
counted for each page at three sizes, each page fetched once uncounted first, and the session's
once-a-minute last-seen write left out. Here a size is both the number of cases (opened from
accepted referrals, in steps of 3, then 30, then 300) and the number of entries on the timeline of
the case viewed, which is the same case throughout: open, with its consent review overdue. Signed
in as a caseworker (who sees every case) and as a volunteer (who sees only their own); either way
one new case in ten, the first among them, is assigned to whoever is signed in, so "mine" and the
volunteer's list show 1 row, then 4, then 25, and the case viewed is theirs.

The timeline grows in the same steps. Every call of ``tests.bulk.insert_timeline`` starts with a
note with earlier versions, a consent naming third parties and a disclosure on that consent, so
even three entries load everything the page loads only when there is something to load; from 30
entries on, every kind is there: notes (edited or not), contacts on the case and on the referral,
consents (current and withdrawn), reviews, and disclosures on consent and on child protection
approved by a manager. A per-entry query would show as a difference between 3 and 30; a per-row
query on the cases list likewise (3 rows, then 25).

The case is drawn on three pages (its overview, its timeline, and its consent and disclosures),
each counted. Viewing any of them writes an audit entry, so each count includes that write; it is
the same write at every size.
"""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Case, CaseNote, CaseNoteRevision, ConsentParty, ConsentRecord, ContactEntry, Disclosure
from tests.bulk import insert_cases, insert_timeline
from tests.staff import make_staff
from tests.web.test_query_counts import counted, signed_in

SIZES = (3, 30, 300)
OVERVIEW = "/staff/cases/{case_id}"
TIMELINE = "/staff/cases/{case_id}/timeline"
CONSENTS = "/staff/cases/{case_id}/consent-and-disclosures"
LISTS = ("/staff/cases", "/staff/cases?review=overdue", "/staff/cases?mine=yes")
PAGES = (OVERVIEW, TIMELINE, CONSENTS, *LISTS)
ASSIGNED_SHARE = 10  # one case in ten is assigned to whoever is signed in


def count_of(app: Flask, model: type[db.Model], *where: object) -> int:
    with app.app_context():
        number = db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0
        db.session.remove()
    return number


def kinds_on(app: Flask, case_id: int, referral_id: int) -> dict[str, int]:
    """What the case's timeline holds, by kind, to show that every kind is counted."""
    return {
        "notes": count_of(app, CaseNote, CaseNote.case_id == case_id),
        "revisions": count_of(
            app, CaseNoteRevision, CaseNoteRevision.note_id.in_(select(CaseNote.id).where(CaseNote.case_id == case_id))
        ),
        "contacts on the case": count_of(app, ContactEntry, ContactEntry.case_id == case_id),
        "contacts on the referral": count_of(app, ContactEntry, ContactEntry.referral_id == referral_id),
        "consents": count_of(app, ConsentRecord, ConsentRecord.case_id == case_id),
        "withdrawn": count_of(
            app, ConsentRecord, ConsentRecord.case_id == case_id, ConsentRecord.withdrawn_on.isnot(None)
        ),
        "parties": count_of(
            app,
            ConsentParty,
            ConsentParty.consent_id.in_(select(ConsentRecord.id).where(ConsentRecord.case_id == case_id)),
        ),
        "disclosures on consent": count_of(
            app, Disclosure, Disclosure.case_id == case_id, Disclosure.basis == "consent"
        ),
        "on child protection": count_of(
            app, Disclosure, Disclosure.case_id == case_id, Disclosure.basis == "child_protection"
        ),
    }


def shown(client: FlaskClient, path: str) -> int:
    """Rows on a list page, entries on a case's timeline, consents on its consent page (the
    overview shows counts, not rows)."""
    body = client.get(path).get_data(as_text=True)
    if path.endswith("/timeline"):
        return body.count('class="sps-timeline__entry"')
    if path.endswith("/consent-and-disclosures"):
        return body.count('<div class="govuk-summary-card">')
    if path.startswith("/staff/cases/"):
        return body.count("<h1 ")
    return body.count('<tr class="govuk-table__row">') - 1 - body.count("No cases match.")


def describe(path: str, by_size: dict[int, list[str]]) -> str:
    """The counts, and the statements a larger size ran more often than the smallest (or fewer)."""
    smallest, *larger = SIZES
    lines = [f"{path}: " + ", ".join(f"{len(by_size[size])} statements at size {size}" for size in SIZES)]
    for size in larger:
        extra = Counter(by_size[size]) - Counter(by_size[smallest])
        fewer = Counter(by_size[smallest]) - Counter(by_size[size])
        lines += [f"  {times} more at {size}: {statement[:200]}" for statement, times in extra.items()]
        lines += [f"  {times} fewer at {size}: {statement[:200]}" for statement, times in fewer.items()]
    return "\n".join(lines)


@pytest.mark.parametrize("role", ["caseworker", "volunteer"])
def test_statements_per_casework_page_do_not_grow(app, role, capsys):
    client, user_id = signed_in(app, role)
    manager_id = make_staff(app, "manager").id
    colleague_id = make_staff(app, "volunteer" if role == "caseworker" else "caseworker").id
    counts: dict[str, dict[int, list[str]]] = {path: {} for path in PAGES}
    case_id = referral_id = None
    cases = entries = 0
    kinds: dict[int, dict[str, int]] = {}
    sizes_shown: dict[str, dict[int, int]] = {path: {} for path in PAGES}
    for size in SIZES:
        added = insert_cases(
            app, size - cases, opened_by=manager_id, assigned_to=user_id, assigned_every=ASSIGNED_SHARE, seed=size
        )
        cases = size
        if case_id is None:
            # The first new case: open, and assigned to whoever is signed in.
            case_id, referral_id = added.first_id, added.referrals.first_id
        insert_timeline(
            app, case_id, size - entries, recorded_by=(user_id, colleague_id), approved_by=manager_id, seed=size
        )
        entries = size
        kinds[size] = kinds_on(app, case_id, referral_id)
        for path in PAGES:
            url = path.format(case_id=case_id)
            counts[path][size] = counted(app, client, url)
            sizes_shown[path][size] = shown(client, url)

    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.status == "open" and case.assigned_to_id == user_id
        db.session.remove()
    assert all(kinds[size]["notes"] and kinds[size]["revisions"] and kinds[size]["parties"] for size in SIZES)
    assert all(all(kinds[size].values()) for size in SIZES[1:]), kinds
    # Every page shows something at every size (an empty list would skip the loading of what its
    # rows refer to), and more at the larger sizes.
    assert [sizes_shown[TIMELINE][size] for size in SIZES] == list(SIZES)
    assert [sizes_shown[OVERVIEW][size] for size in SIZES] == [1, 1, 1]
    for path in (CONSENTS, *LISTS):
        assert 0 < sizes_shown[path][SIZES[0]] < sizes_shown[path][SIZES[-1]], (path, sizes_shown[path])

    with capsys.disabled():
        print(
            f"\nSQL statements per request, signed in as a {role}"
            f" (at {', '.join(map(str, SIZES))} cases and timeline entries):"
        )
        for path, by_size in counts.items():
            rows = ", ".join(str(sizes_shown[path][size]) for size in SIZES)
            what = {TIMELINE: "entries", CONSENTS: "cards", OVERVIEW: "headings"}.get(path, "rows")
            print(f"  {path:<34}" + "".join(f"{len(by_size[size]):>4}" for size in SIZES) + f"   ({what} {rows})")
        for size in SIZES:
            print(f"  timeline at {size}: " + ", ".join(f"{number} {kind}" for kind, number in kinds[size].items()))

    for path, by_size in counts.items():
        assert len({len(sent) for sent in by_size.values()}) == 1, describe(path, by_size)
