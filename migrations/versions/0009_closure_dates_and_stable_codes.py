"""Closure dates, withdrawn referrals, the child's age band at referral, and stable codes for a
case's topic and intervention level (issue 12).

Referrals gain `closed_on` (the London date the referral closed), `withdrawal_method` and
`child_age_band`; the statuses `withdrawn` and `lapsed` join the vocabulary. `closed_at` is folded
into `closed_on`: it was only ever a declined referral's moment of decline. Existing rows are filled
in: a declined referral closed on closed_at's date in London, an accepted referral whose case is
closed on the case's closed_on, and the child's age band on the day of referral worked out from the
encrypted date of birth, a batch at a time.

`cases.category` becomes `cases.topic` and, with `intervention_level`, holds a code instead of the
label shown (so rewording a label never splits a year's statistics). Labels stored today are matched
without regard to case or surrounding spaces; an unknown topic becomes `other`, an unknown level
none (a label that still starts "Level 1:" to "Level 4:" keeps its level).

The downgrade puts labels back, makes closed_at noon (UTC) of closed_on for declined referrals, and,
since the older schema knows no other closing status, turns a withdrawn or lapsed referral with a
case back into an accepted one and one without into a declined one whose reason says what happened.

The vocabularies are written out here as this revision knows them, so the migration stays as it was
written whatever the service's codes and labels later become.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:30:00

"""
import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from portal.crypto import keyring

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 1000
LONDON = ZoneInfo('Europe/London')

STATUSES = ('new', 'accepted', 'declined', 'withdrawn', 'lapsed')
OLD_STATUSES = ('new', 'accepted', 'declined')
WITHDRAWAL_METHODS = ('phone', 'email', 'letter', 'in_person', 'via_referrer')
AGE_BANDS = ('0-4', '5-10', '11-15', '16-19', '20-25', 'over-25')
TOPICS = {
    'education': 'Education',
    'ehc_assessment': 'EHC needs assessment',
    'ehc_plan': 'EHC plan',
    'exclusions': 'Exclusions',
    'transport': 'Transport',
    'health_social_care': 'Health and social care',
    'tribunal': 'Tribunal',
    'other': 'Other',
}
LEVELS = {
    'level_1': 'Level 1: information and signposting',
    'level_2': 'Level 2: advice and guidance',
    'level_3': 'Level 3: casework',
    'level_4': 'Level 4: intensive casework and representation',
}

REFERRALS = sa.table(
    'referrals', sa.column('id', sa.Integer), sa.column('status', sa.String), sa.column('closed_at', sa.DateTime),
    sa.column('closed_on', sa.Date), sa.column('submitted_at', sa.DateTime), sa.column('child_age_band', sa.String),
    sa.column('decline_reason', sa.Text), sa.column('withdrawal_method', sa.String),
)
PEOPLE = sa.table('people', sa.column('referral_id', sa.Integer), sa.column('role', sa.String),
                  sa.column('date_of_birth', sa.Text))
CASES = sa.table('cases', sa.column('id', sa.Integer), sa.column('referral_id', sa.Integer),
                 sa.column('status', sa.String), sa.column('closed_on', sa.Date), sa.column('category', sa.String),
                 sa.column('topic', sa.String), sa.column('intervention_level', sa.String))


def _one_of(column, values):
    return "{} IN ({})".format(column, ', '.join(f"'{value}'" for value in values))


def _london_day(moment):
    if isinstance(moment, str):  # SQLite hands back text when a column is read untyped
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # stored moments without a zone are UTC
    return moment.astimezone(LONDON).date()


def _age_band(born, day):
    age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    for band, oldest in (('0-4', 4), ('5-10', 10), ('11-15', 15), ('16-19', 19), ('20-25', 25)):
        if age <= oldest:
            return band
    return 'over-25'


def _in_batches(connection, statement, id_column):
    """Rows of ``statement`` in id order, a batch at a time, each batch read whole before any is changed."""
    after = 0
    while True:
        rows = connection.execute(statement.where(id_column > after).order_by(id_column).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def _set_each(connection, column, values):
    """Each referral's ``column`` set to its own value: ``values`` holds (id, value) pairs."""
    if values:
        each = REFERRALS.update().where(REFERRALS.c.id == sa.bindparam('referral_id'))
        connection.execute(
            each.values({column: sa.bindparam('value')}),
            [{'referral_id': referral_id, 'value': value} for referral_id, value in values],
        )


def _fill_closing_dates(connection):
    declined = sa.select(REFERRALS.c.id, REFERRALS.c.closed_at).where(
        REFERRALS.c.status == 'declined', REFERRALS.c.closed_at.is_not(None)
    )
    for rows in _in_batches(connection, declined, REFERRALS.c.id):
        _set_each(connection, 'closed_on', [(row.id, _london_day(row.closed_at)) for row in rows])
    # A declined referral from before closed_at was kept (none should exist) closes on its submission.
    undated = sa.select(REFERRALS.c.id, REFERRALS.c.submitted_at).where(
        REFERRALS.c.status == 'declined', REFERRALS.c.closed_on.is_(None)
    )
    for rows in _in_batches(connection, undated, REFERRALS.c.id):
        _set_each(connection, 'closed_on', [(row.id, _london_day(row.submitted_at)) for row in rows])
    case_closed_on = (
        sa.select(CASES.c.closed_on)
        .where(CASES.c.referral_id == REFERRALS.c.id, CASES.c.status == 'closed')
        .scalar_subquery()
    )
    connection.execute(
        REFERRALS.update().where(REFERRALS.c.status == 'accepted').values(closed_on=case_closed_on)
    )


def _fill_age_bands(connection):
    ring = keyring()
    referrals = sa.select(REFERRALS.c.id, REFERRALS.c.submitted_at)
    for rows in _in_batches(connection, referrals, REFERRALS.c.id):
        births = dict(
            connection.execute(
                sa.select(PEOPLE.c.referral_id, PEOPLE.c.date_of_birth).where(
                    PEOPLE.c.role == 'child',
                    PEOPLE.c.date_of_birth.is_not(None),
                    PEOPLE.c.referral_id.in_([row.id for row in rows]),
                )
            ).all()
        )
        _set_each(connection, 'child_age_band', [
            (row.id, _age_band(dt.date.fromisoformat(ring.decrypt(births[row.id])), _london_day(row.submitted_at)))
            for row in rows
            if row.id in births
        ])


def _labels_to_codes(connection, column, vocabulary, unknown):
    for code, label in vocabulary.items():
        connection.execute(
            CASES.update().where(sa.func.lower(sa.func.trim(column)) == label.lower()).values({column.name: code})
        )
    if column.name == 'intervention_level':
        for number in range(1, 5):
            connection.execute(
                CASES.update()
                .where(column.not_in(list(vocabulary)), sa.func.lower(sa.func.trim(column)).like(f'level {number}:%'))
                .values({column.name: f'level_{number}'})
            )
    connection.execute(
        CASES.update().where(column.is_not(None), column.not_in(list(vocabulary))).values({column.name: unknown})
    )


def upgrade():
    connection = op.get_bind()
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('withdrawal_method', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('child_age_band', sa.String(length=8), nullable=True))

    _fill_closing_dates(connection)
    _fill_age_bands(connection)

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_referrals_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', _one_of('status', STATUSES))
        batch_op.create_check_constraint('withdrawal_method_known', _one_of('withdrawal_method', WITHDRAWAL_METHODS))
        batch_op.create_check_constraint('child_age_band_known', _one_of('child_age_band', AGE_BANDS))
        batch_op.create_check_constraint(
            'closed_on_matches_status',
            "(status NOT IN ('declined', 'withdrawn', 'lapsed') OR closed_on IS NOT NULL)"
            " AND (status <> 'new' OR closed_on IS NULL)",
        )
        batch_op.create_check_constraint(
            'withdrawn_says_how', "(status = 'withdrawn') = (withdrawal_method IS NOT NULL)"
        )
        batch_op.create_index('ix_referrals_closed_on', ['closed_on'], unique=False)
        batch_op.drop_column('closed_at')

    _labels_to_codes(connection, CASES.c.category, TOPICS, 'other')
    _labels_to_codes(connection, CASES.c.intervention_level, LEVELS, None)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('category', new_column_name='topic',
               existing_type=sa.String(length=64), type_=sa.String(length=32), existing_nullable=True)
        batch_op.alter_column('intervention_level',
               existing_type=sa.String(length=64), type_=sa.String(length=16), existing_nullable=True)
        batch_op.create_check_constraint('topic_known', _one_of('topic', TOPICS))
        batch_op.create_check_constraint('intervention_level_known', _one_of('intervention_level', LEVELS))


def _codes_to_labels(connection, column, vocabulary):
    for code, label in vocabulary.items():
        connection.execute(CASES.update().where(column == code).values({column.name: label}))


def downgrade():
    connection = op.get_bind()
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cases_intervention_level_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_cases_topic_known'), type_='check')
        batch_op.alter_column('intervention_level',
               existing_type=sa.String(length=16), type_=sa.String(length=64), existing_nullable=True)
        batch_op.alter_column('topic', new_column_name='category',
               existing_type=sa.String(length=32), type_=sa.String(length=64), existing_nullable=True)
    _codes_to_labels(connection, CASES.c.category, TOPICS)
    _codes_to_labels(connection, CASES.c.intervention_level, LEVELS)

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index('ix_referrals_closed_on')
        batch_op.drop_constraint(op.f('ck_referrals_withdrawn_says_how'), type_='check')
        batch_op.drop_constraint(op.f('ck_referrals_closed_on_matches_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_referrals_child_age_band_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_referrals_withdrawal_method_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_referrals_status_known'), type_='check')

    has_case = sa.select(CASES.c.id).where(CASES.c.referral_id == REFERRALS.c.id).exists()
    closing = REFERRALS.c.status.in_(('withdrawn', 'lapsed'))
    connection.execute(REFERRALS.update().where(closing, has_case).values(status='accepted'))
    ring = keyring()
    ended = sa.select(REFERRALS.c.id, REFERRALS.c.status).where(closing)
    for rows in _in_batches(connection, ended, REFERRALS.c.id):
        _set_each(connection, 'decline_reason', [
            (row.id, ring.encrypt('The family withdrew.' if row.status == 'withdrawn' else 'Lapsed without contact.'))
            for row in rows
        ])
    connection.execute(REFERRALS.update().where(closing).values(status='declined'))
    declined = sa.select(REFERRALS.c.id, REFERRALS.c.closed_on).where(
        REFERRALS.c.status == 'declined', REFERRALS.c.closed_on.is_not(None)
    )
    for rows in _in_batches(connection, declined, REFERRALS.c.id):
        _set_each(connection, 'closed_at', [
            (row.id, dt.datetime.combine(row.closed_on, dt.time(12), dt.UTC)) for row in rows
        ])

    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_check_constraint('status_known', _one_of('status', OLD_STATUSES))
        batch_op.drop_column('child_age_band')
        batch_op.drop_column('withdrawal_method')
        batch_op.drop_column('closed_on')
