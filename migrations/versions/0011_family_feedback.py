"""Family feedback at closure, kept without any link to the case (issue 12). Two new tables: the
single-use invitations sent when a case closes (the token kept only as its SHA-256 digest, naming
the case until it is used or expires), and the answers, which hold the three choices, an optional
comment and the academic year, and nothing that leads back to a case or a family.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_feedback_invitations_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_invitations')),
    sa.UniqueConstraint('case_id', name=op.f('uq_feedback_invitations_case_id')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_feedback_invitations_token_sha256'))
    )
    with op.batch_alter_table('feedback_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_invitations_expires_at'), ['expires_at'], unique=False)

    op.create_table('feedback_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sa.String(length=7), nullable=False),
    sa.Column('helpful', sa.String(length=16), nullable=False),
    sa.Column('involved', sa.String(length=16), nullable=False),
    sa.Column('recommend', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint("helpful IN ('very', 'quite', 'not_very', 'not_at_all')", name=op.f('ck_feedback_answers_helpful_known')),
    sa.CheckConstraint("involved IN ('yes', 'a_little', 'no', 'not_sure')", name=op.f('ck_feedback_answers_involved_known')),
    sa.CheckConstraint("recommend IN ('yes', 'maybe', 'no')", name=op.f('ck_feedback_answers_recommend_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answers'))
    )
    with op.batch_alter_table('feedback_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_answers_academic_year'), ['academic_year'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_answers_academic_year'))

    op.drop_table('feedback_answers')
    with op.batch_alter_table('feedback_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_invitations_expires_at'))

    op.drop_table('feedback_invitations')
