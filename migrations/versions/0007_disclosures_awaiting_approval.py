"""Disclosures without consent wait for a second manager's approval (issue 11).

A disclosure gains a status (pending, approved, declined), who decided it and when, and why it was
declined; the recorder no longer names an approver, so ``approved_by_id`` gives way to
``decided_by_id``. Rows already stored were all shared under the old rule: consent ones become
approved (no decider), and safeguarding or legal ones approved by the manager the recorder named,
at the moment they were recorded.

It also puts right the assignments left apart by the old case-page reassignment, which moved a
case but not its referral (so the previous worker kept the referral and the family's details): a
referral follows its case's worker, the worker the service now keeps on both.

Downgrading deletes pending and declined disclosures: the old schema has no way to hold them other
than as shared, which they were not.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The rules as this revision writes them (a later revision changes them again, this one stays).
OLD_HAS_ITS_BASIS = (
    "(basis = 'consent' AND consent_party_id IS NOT NULL)"
    " OR (basis <> 'consent' AND justification IS NOT NULL AND approved_by_id IS NOT NULL)"
)
HAS_ITS_BASIS = (
    "(basis = 'consent' AND consent_party_id IS NOT NULL)"
    " OR (basis <> 'consent' AND justification IS NOT NULL)"
)
DECISION_SAYS_WHO = (
    "(basis = 'consent' AND status = 'approved' AND decided_by_id IS NULL AND decided_at IS NULL)"
    " OR (basis <> 'consent' AND status = 'pending' AND decided_by_id IS NULL AND decided_at IS NULL)"
    " OR (basis <> 'consent' AND status <> 'pending' AND decided_by_id IS NOT NULL AND decided_at IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))

    op.execute(
        "UPDATE disclosures SET status = 'approved', decided_by_id = approved_by_id,"
        " decided_at = CASE WHEN basis = 'consent' THEN NULL ELSE recorded_at END"
    )

    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16), nullable=False)
        batch_op.drop_constraint(op.f('ck_disclosures_has_its_basis'), type_='check')
        batch_op.drop_constraint(op.f('fk_disclosures_approved_by_id_staff_users'), type_='foreignkey')
        batch_op.drop_column('approved_by_id')
        batch_op.create_foreign_key(
            batch_op.f('fk_disclosures_decided_by_id_staff_users'), 'staff_users', ['decided_by_id'], ['id']
        )
        batch_op.create_check_constraint('has_its_basis', HAS_ITS_BASIS)
        batch_op.create_check_constraint('status_known', "status IN ('pending', 'approved', 'declined')")
        batch_op.create_check_constraint('decision_says_who', DECISION_SAYS_WHO)
        batch_op.create_check_constraint('declined_says_why', "(status = 'declined') = (decline_reason IS NOT NULL)")
        batch_op.create_index(batch_op.f('ix_disclosures_status'), ['status'], unique=False)

    op.execute(
        "UPDATE referrals SET assigned_to_id ="
        " (SELECT cases.assigned_to_id FROM cases WHERE cases.referral_id = referrals.id)"
        " WHERE EXISTS (SELECT 1 FROM cases WHERE cases.referral_id = referrals.id"
        " AND cases.assigned_to_id IS NOT NULL"
        " AND (referrals.assigned_to_id IS NULL OR referrals.assigned_to_id <> cases.assigned_to_id))"
    )


def downgrade():
    op.execute("DELETE FROM disclosures WHERE status <> 'approved'")

    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by_id', sa.Integer(), nullable=True))

    op.execute("UPDATE disclosures SET approved_by_id = decided_by_id")

    with op.batch_alter_table('disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disclosures_status'))
        batch_op.drop_constraint(op.f('ck_disclosures_declined_says_why'), type_='check')
        batch_op.drop_constraint(op.f('ck_disclosures_decision_says_who'), type_='check')
        batch_op.drop_constraint(op.f('ck_disclosures_status_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_disclosures_has_its_basis'), type_='check')
        batch_op.drop_constraint(op.f('fk_disclosures_decided_by_id_staff_users'), type_='foreignkey')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('status')
        batch_op.create_foreign_key(
            batch_op.f('fk_disclosures_approved_by_id_staff_users'), 'staff_users', ['approved_by_id'], ['id']
        )
        batch_op.create_check_constraint('has_its_basis', OLD_HAS_ITS_BASIS)
