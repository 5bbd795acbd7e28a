"""Retention (issue 13, design section 8): manual holds on referrals and information requests
(destroyed with the record they hold), the destruction log (counts only, kept for good) and the
steps of the daily command that finished on a day, so a second run the same day does nothing new.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:32:57.874574

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ran_on', sa.Date(), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_steps')),
    sa.UniqueConstraint('ran_on', 'step', name='uq_daily_steps_day_step')
    )
    op.create_table('destruction_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_number', sa.Integer(), nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ran_by', sa.String(length=64), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('root_type', sa.String(length=24), nullable=False),
    sa.Column('closure_month', sa.String(length=7), nullable=False),
    sa.Column('roots_destroyed', sa.Integer(), nullable=False),
    sa.Column('roots_held', sa.Integer(), nullable=False),
    sa.Column('rows_by_table', sa.Text(), nullable=False),
    sa.Column('held_by_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("root_type IN ('referral', 'information_request')", name=op.f('ck_destruction_log_root_type_known')),
    sa.CheckConstraint('length(closure_month) = 7', name=op.f('ck_destruction_log_closure_month_like_2023_04')),
    sa.CheckConstraint('roots_destroyed >= 0 AND roots_held >= 0', name=op.f('ck_destruction_log_counts_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_log'))
    )
    with op.batch_alter_table('destruction_log', schema=None) as batch_op:
        batch_op.create_index('ix_destruction_log_run', ['run_number', 'root_type', 'closure_month'], unique=False)

    op.create_table('retention_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("reason IN ('ico_complaint', 'information_tribunal', 'send_tribunal_or_mediation', 'litigation_or_claim', 'safeguarding_review', 'data_protection_complaint')", name=op.f('ck_retention_holds_reason_known')),
    sa.CheckConstraint('(lifted_at IS NULL AND lifted_by_id IS NULL AND lift_reason IS NULL) OR (lifted_at IS NOT NULL AND lifted_by_id IS NOT NULL AND lift_reason IS NOT NULL)', name=op.f('ck_retention_holds_lifting_says_who_and_why')),
    sa.CheckConstraint('(referral_id IS NULL) <> (request_id IS NULL)', name=op.f('ck_retention_holds_holds_one_record')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['staff_users.id'], name=op.f('fk_retention_holds_lifted_by_id_staff_users')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['staff_users.id'], name=op.f('fk_retention_holds_placed_by_id_staff_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_retention_holds_referral_id_referrals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['information_requests.id'], name=op.f('fk_retention_holds_request_id_information_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_holds'))
    )
    with op.batch_alter_table('retention_holds', schema=None) as batch_op:
        batch_op.create_index('ix_retention_holds_lifted_review', ['lifted_at', 'review_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_retention_holds_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_retention_holds_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('retention_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retention_holds_request_id'))
        batch_op.drop_index(batch_op.f('ix_retention_holds_referral_id'))
        batch_op.drop_index('ix_retention_holds_lifted_review')

    op.drop_table('retention_holds')
    with op.batch_alter_table('destruction_log', schema=None) as batch_op:
        batch_op.drop_index('ix_destruction_log_run')

    op.drop_table('destruction_log')
    op.drop_table('daily_steps')
