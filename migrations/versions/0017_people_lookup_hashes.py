"""Keyed look-up hashes of each person's name, date of birth and postcode on their own (issue 15),
so staff find a family by any one of them without decrypting every row. The people stored before
this revision are hashed here, decrypted with the portal's keys (as 0004 did for identity_hash).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 06:00:00

"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from portal.crypto import keyring
from portal.models.referrals import person_lookup_keys

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COLUMNS = ("name_hash", "birth_date_hash", "postcode_hash")
BATCH = 1000


def upgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_people_{name}"), [name], unique=False)
    _fill_hashes()


def _fill_hashes():
    """Hash everyone already stored, a batch at a time, so a large table never sits in memory."""
    ring = keyring()
    connection = op.get_bind()
    people = sa.table(
        "people",
        sa.column("id"),
        sa.column("full_name"),
        sa.column("date_of_birth"),
        sa.column("postcode"),
        *(sa.column(name) for name in COLUMNS),
    )
    update = (
        people.update()
        .where(people.c.id == sa.bindparam("person_id"))
        .values({name: sa.bindparam(name) for name in COLUMNS})
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(people.c.id, people.c.full_name, people.c.date_of_birth, people.c.postcode)
            .where(people.c.id > last_id)
            .order_by(people.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = []
        for person_id, full_name, born, postcode in rows:
            keys = person_lookup_keys(
                ring.decrypt(full_name),
                dt.date.fromisoformat(ring.decrypt(born)) if born else None,
                ring.decrypt(postcode) if postcode else None,
            )
            values.append(
                {
                    "person_id": person_id,
                    **{name: ring.lookup_hash(keys[name]) if keys[name] else None for name in COLUMNS},
                }
            )
        connection.execute(update, values)
        last_id = rows[-1].id


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.drop_index(batch_op.f(f"ix_people_{name}"))
            batch_op.drop_column(name)
