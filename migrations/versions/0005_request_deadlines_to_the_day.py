"""Deadlines to the day: FOI clock events (a clarification, a fees notice and its payment) beside
subject access ones, so the event name grows to 24 characters; a public interest extension of an
FOI request (working days, the exemption considered); and every stored request's due date worked
out again under the rules as they now stand (the service's own nation's holidays for subject access
and complaints, pauses counted with both ends, complaints moved off weekends and holidays).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:02:11.480113

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from portal.services import deadlines


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The events as this revision knows them: a later revision that adds one changes the constraint
# again, so this one stays as it was written.
EVENTS = ('start', 'pause', 'resume', 'clarification_asked', 'clarification_received', 'fees_notice', 'fee_paid')
OLD_EVENTS = ('start', 'pause', 'resume')


def _events_known(events):
    return "event IN ({})".format(', '.join(f"'{event}'" for event in events))


def upgrade():
    with op.batch_alter_table('request_clock_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_request_clock_events_event_known'), type_='check')
        batch_op.alter_column('event',
               existing_type=sa.String(length=8),
               type_=sa.String(length=24),
               existing_nullable=False)
        batch_op.create_check_constraint('event_known', _events_known(EVENTS))

    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension_working_days', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('extension_exemption', sa.Text(), nullable=True))
        batch_op.create_check_constraint('public_interest_extension_limit', 'extension_working_days BETWEEN 0 AND 20')
        batch_op.create_check_constraint(
            'public_interest_extension_says_why',
            'extension_working_days = 0 OR (extension_exemption IS NOT NULL AND extension_notice_sent_on IS NOT NULL)',
        )
        batch_op.create_check_constraint('only_sar_extends_by_months', "kind = 'sar' OR extension_months = 0")
        batch_op.create_check_constraint('only_foi_extends_by_working_days', "kind = 'foi' OR extension_working_days = 0")

    _work_due_dates_out_again()


def _work_due_dates_out_again():
    """Every request's due date under the rules as they now stand: until now a subject access
    deadline moved for any part of the UK's holidays, a pause counted one day short, and a
    complaint's acknowledgement fell due on a weekend or Christmas Day as readily as any other."""
    nation = current_app.config['SERVICE_NATION']
    connection = op.get_bind()
    requests = sa.table('information_requests', sa.column('id'), sa.column('kind'), sa.column('received_on', sa.Date),
                        sa.column('due_on', sa.Date), sa.column('extension_months'),
                        sa.column('acknowledged_on', sa.Date))
    events = sa.table('request_clock_events', sa.column('id'), sa.column('request_id'), sa.column('event'),
                      sa.column('on', sa.Date))
    kept = {}
    for request_id, event, on in connection.execute(
        sa.select(events.c.request_id, events.c.event, events.c.on).order_by(events.c.id)
    ):
        kept.setdefault(request_id, []).append(deadlines.Event(event, on))
    rows = connection.execute(
        sa.select(requests.c.id, requests.c.kind, requests.c.received_on, requests.c.due_on,
                  requests.c.extension_months, requests.c.acknowledged_on)
    ).all()
    for request_id, kind, received_on, due_on, extension_months, acknowledged_on in rows:
        facts = deadlines.Facts(
            received_on=received_on,
            clock_events=tuple(kept.get(request_id, ())),
            extension_months=extension_months or 0,
            acknowledged_on=acknowledged_on,
        )
        due = deadlines.rules(kind, nation).working(facts).due_on
        if due != due_on:
            connection.execute(requests.update().where(requests.c.id == request_id).values(due_on=due))


def downgrade():
    op.execute(sa.text(f"DELETE FROM request_clock_events WHERE NOT ({_events_known(OLD_EVENTS)})"))
    with op.batch_alter_table('information_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_information_requests_only_foi_extends_by_working_days'), type_='check')
        batch_op.drop_constraint(op.f('ck_information_requests_only_sar_extends_by_months'), type_='check')
        batch_op.drop_constraint(op.f('ck_information_requests_public_interest_extension_says_why'), type_='check')
        batch_op.drop_constraint(op.f('ck_information_requests_public_interest_extension_limit'), type_='check')
        batch_op.drop_column('extension_exemption')
        batch_op.drop_column('extension_working_days')

    with op.batch_alter_table('request_clock_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_request_clock_events_event_known'), type_='check')
        batch_op.alter_column('event',
               existing_type=sa.String(length=24),
               type_=sa.String(length=8),
               existing_nullable=False)
        batch_op.create_check_constraint('event_known', _events_known(OLD_EVENTS))
