"""Reminders sent by the daily command (issue 13): one row per item (a person's training, a case's
consent review, a request's deadline) and the date it falls due, so each is reminded once. Each
row's item is a foreign key deleted with it; item_key names the item as a string that is never
null, for the one unique constraint that keeps "once" under two processes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('item_key', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('training', 'consent_review', 'request_due_soon', 'request_overdue')", name=op.f('ck_reminders_sent_kind_known')),
    sa.CheckConstraint('(CASE WHEN staff_user_id IS NULL THEN 0 ELSE 1 END + CASE WHEN case_id IS NULL THEN 0 ELSE 1 END + CASE WHEN request_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_reminders_sent_about_one_item')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reminders_sent_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['information_requests.id'], name=op.f('fk_reminders_sent_request_id_information_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_reminders_sent_staff_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders_sent')),
    sa.UniqueConstraint('kind', 'item_key', 'due_on', name='uq_reminders_sent_once_per_item')
    )
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_sent_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_sent_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_sent_staff_user_id'), ['staff_user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_sent_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_sent_request_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_sent_case_id'))

    op.drop_table('reminders_sent')
