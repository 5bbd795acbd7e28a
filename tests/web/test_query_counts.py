"""The number of SQL statements a back-office page runs does not grow with the number of referrals.

A page that queries once per row (N+1) is quick with the handful of referrals other tests make and
slow with a real queue. Every statement the app's engine sends is counted, through a
``before_cursor_execute`` listener, for each page at three sizes of the database. The referrals
are added in steps (3, then 30, then 300), so the caseworker's first page shows 3 rows and then 25:
a per-row query would show up as a difference even where both larger sizes fill the page. A
volunteer, who sees only what is assigned to them (one referral in ten here), is counted too.

Each page is fetched once before it is counted, so a first-visit write (the session's CSRF token)
is not counted against one size only. The session's last-seen time is written at most once a
minute, whenever a request falls due, whatever the page: that write is left out of the counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, update

from portal.extensions import db
from portal.models import Referral
from tests.bulk import insert_referrals
from tests.factories import submit_referral
from tests.journeys import self_referral_answers
from tests.staff import csrf_token, make_staff, sign_in

SIZES = (3, 30, 300)
PAGES = (
    "/staff/referrals",
    "/staff/referrals?status=new",
    "/staff/referrals?sort=worker&order=ascending",
    "/staff/referrals?sort=waiting&order=descending",
    "/staff/referrals/{referral_id}",
    "/staff/",
)
VOLUNTEER_SHARE = 10  # one referral in ten is assigned to the volunteer
SESSION_TOUCH = "UPDATE staff_sessions"


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every statement sent to the database while the block runs, whatever connection sends it."""
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def listener(connection, cursor, statement, parameters, context, executemany) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def counted(app: Flask, client: FlaskClient, path: str) -> list[str]:
    """The statements of one GET of ``path``, after a first, uncounted one."""
    assert client.get(path).status_code == 200, path
    with statements(app) as sent:
        response = client.get(path)
        response.get_data()
    assert response.status_code == 200, path
    return [statement for statement in sent if not statement.startswith(SESSION_TOUCH)]


def grow_to(app: Flask, total: int, volunteer_id: int) -> int:
    """Add referrals until there are ``total`` and assign one in ten of the new ones, the first
    among them, to the volunteer; returns the first new id."""
    with app.app_context():
        existing = db.session.scalar(db.select(db.func.count()).select_from(Referral)) or 0
        db.session.remove()
    added = insert_referrals(app, total - existing, seed=total)
    with app.app_context():
        db.session.execute(
            update(Referral)
            .where(Referral.id.between(added.first_id, added.last_id))
            .where((Referral.id - added.first_id) % VOLUNTEER_SHARE == 0)
            .values(assigned_to_id=volunteer_id)
        )
        db.session.commit()
        db.session.remove()
    return added.first_id


def signed_in(app: Flask, *roles: str) -> tuple[FlaskClient, int]:
    user = make_staff(app, *roles)
    client = FlaskClient(app, app.response_class, use_cookies=True)
    sign_in(client, app, user)
    return client, user.id


def describe(path: str, by_size: dict[int, list[str]]) -> str:
    """The counts, and the statements a larger size ran more often than the smallest."""
    smallest, *larger = SIZES
    lines = [f"{path}: " + ", ".join(f"{len(by_size[size])} statements at {size} referrals" for size in SIZES)]
    for size in larger:
        extra = Counter(by_size[size]) - Counter(by_size[smallest])
        lines += [f"  {times} more at {size}: {statement[:200]}" for statement, times in extra.items()]
    return "\n".join(lines)


@pytest.mark.parametrize("role", ["caseworker", "volunteer"])
def test_statements_per_page_do_not_grow_with_the_referrals(app, role, capsys):
    client, user_id = signed_in(app, role)
    volunteer_id = user_id if role == "volunteer" else make_staff(app, "volunteer").id
    counts: dict[str, dict[int, list[str]]] = {path: {} for path in PAGES}
    referral_id = None
    for size in SIZES:
        first_new = grow_to(app, size, volunteer_id)
        # The same referral every time (the first, assigned to the volunteer), so only the
        # number of others changes.
        referral_id = referral_id or first_new
        for path in PAGES:
            counts[path][size] = counted(app, client, path.format(referral_id=referral_id))

    with capsys.disabled():
        print(f"\nSQL statements per request, signed in as a {role} (at {', '.join(map(str, SIZES))} referrals):")
        for path, by_size in counts.items():
            print(f"  {path:<34}" + "".join(f"{len(by_size[size]):>4}" for size in SIZES))

    for path, by_size in counts.items():
        assert len({len(sent) for sent in by_size.values()}) == 1, describe(path, by_size)


def counted_post(app: Flask, client: FlaskClient, path: str, form: dict[str, str]) -> list[str]:
    """The statements of one POST of ``form`` to ``path``, after a first, uncounted one."""
    data = {"csrf_token": csrf_token(client), **form}
    assert client.post(path, data=data).status_code == 200, path
    with statements(app) as sent:
        response = client.post(path, data=data)
        response.get_data()
    assert response.status_code == 200, path
    return [statement for statement in sent if not statement.startswith(SESSION_TOUCH)]


def test_statements_of_a_search_by_name_do_not_grow_with_the_referrals_or_what_it_finds(app, capsys):
    """The search reads keyed hashes, never every row: the same statements at 3, 30 and 300
    referrals, while the family it looks for is found in 1, then 3, then 9 of them."""
    client, _ = signed_in(app, "caseworker")
    volunteer_id = make_staff(app, "volunteer").id
    child = self_referral_answers()["child_name"]
    by_size: dict[int, list[str]] = {}
    found: dict[int, int] = {}
    made = 0
    for size, matching in zip(SIZES, (1, 3, 9), strict=True):
        for _ in range(matching - made):
            submit_referral(app, "self")
        made = matching
        grow_to(app, size, volunteer_id)
        by_size[size] = counted_post(app, client, "/staff/referrals/person-search", {"name": child})
        html = client.post(
            "/staff/referrals/person-search", data={"csrf_token": csrf_token(client), "name": child}
        ).get_data(as_text=True)
        found[size] = html.count('<tr class="govuk-table__row">') - 1
    with capsys.disabled():
        print("\nSQL statements per search by name: " + ", ".join(f"{len(by_size[size])}" for size in SIZES))
    assert [found[size] for size in SIZES] == [1, 3, 9]
    assert len({len(sent) for sent in by_size.values()}) == 1, describe("search by name", by_size)
