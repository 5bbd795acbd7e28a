"""Migration 0007 on rows stored under the old rules: every stored disclosure was shared, so each
becomes approved (a safeguarding or legal one by the manager the recorder named, when recorded);
a referral left with its previous worker by a case-page reassignment follows its case; and going
back keeps the approved rows and drops the ones the old schema could only show as shared."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal.extensions import db
from tests.conftest import build_app

WHEN = "2026-11-20 10:00:00.000000"


def _insert(connection, table: str, **values: object) -> None:
    names = ", ".join(values)
    connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)})"), values)


def _store_old_rows(connection) -> None:
    _insert(connection, "privacy_notice_versions", version="t-1", published_on="2026-01-01", content_sha256="0" * 64)
    for staff_id, name, roles in (
        (1, "Manager", "manager"),
        (2, "Worker A", "volunteer"),
        (3, "Worker B", "volunteer"),
    ):
        _insert(
            connection,
            "staff_users",
            id=staff_id,
            email=f"s{staff_id}",
            email_hash=f"h{staff_id}",
            name=name,
            password_hash="x",
            roles=roles,
            active=True,
            created_at=WHEN,
        )
    common = {
        "route": "self",
        "completed_by": "parent_carer",
        "status": "accepted",
        "school_or_setting": "s",
        "needs": "n",
        "preferred_contact": "email",
        "privacy_notice_version": "t-1",
        "privacy_agreed_at": WHEN,
        "submitted_at": WHEN,
    }
    # Referral 1 kept worker A when its case moved to worker B; referral 2 and its case agree.
    _insert(
        connection,
        "referrals",
        id=1,
        reference="r1",
        reference_hash="r1",
        submission_key_hash="k1",
        assigned_to_id=2,
        **common,
    )
    _insert(
        connection,
        "referrals",
        id=2,
        reference="r2",
        reference_hash="r2",
        submission_key_hash="k2",
        assigned_to_id=2,
        **common,
    )
    for case_id, worker in ((1, 3), (2, 2)):
        _insert(
            connection,
            "cases",
            id=case_id,
            referral_id=case_id,
            status="open",
            opened_at=WHEN,
            opened_by_id=1,
            assigned_to_id=worker,
            version=1,
        )
    _insert(
        connection,
        "consent_records",
        id=1,
        case_id=1,
        given_by="parent_carer",
        given_on="2026-11-19",
        method="written",
        keeps_contact_information=True,
        privacy_notice_version="t-1",
        recorded_by_id=1,
        recorded_at=WHEN,
    )
    _insert(connection, "consent_parties", id=1, consent_id=1, name="School")
    shared = {"case_id": 1, "disclosed_on": "2026-11-20", "recipient": "x", "what_was_shared": "y", "recorded_at": WHEN}
    _insert(connection, "disclosures", id=1, basis="consent", consent_party_id=1, recorded_by_id=2, **shared)
    _insert(
        connection,
        "disclosures",
        id=2,
        basis="court_order",
        justification="j",
        approved_by_id=1,
        recorded_by_id=1,
        **shared,
    )


def test_stored_disclosures_become_approved_and_referrals_follow_their_case(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as connection:
            _store_old_rows(connection)
        upgrade(revision="0007")
        with db.engine.connect() as connection:
            decided = "SELECT id, status, decided_by_id, decided_at IS NOT NULL, decline_reason FROM disclosures"
            rows = connection.execute(text(decided + " ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [(1, "approved", None, 0, None), (2, "approved", 1, 1, None)]
            workers = connection.execute(text("SELECT id, assigned_to_id FROM referrals ORDER BY id")).all()
            assert [tuple(row) for row in workers] == [(1, 3), (2, 2)]
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO disclosures (id, case_id, disclosed_on, recipient, what_was_shared, basis,"
                    " justification, status, recorded_by_id, recorded_at)"
                    " VALUES (3, 1, '2026-11-20', 'x', 'y', 'legal_duty', 'j', 'pending', 2, :at)"
                ),
                {"at": WHEN},
            )
        downgrade(revision="0006")
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, approved_by_id FROM disclosures ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [(1, None), (2, 1)]
        db.session.remove()
        db.engine.dispose()
