"""The job queue's table (issue 14): a response PDF or the Annual Report made by a worker while the
person who asked watches a progress page. The finished file is kept as a Fernet token until its
download or for 15 minutes; the row, without it, for a day. A job about a request is destroyed with
it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('academic_year', sa.String(length=7), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.LargeBinary(), nullable=True),
    sa.Column('filename', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('sar_response_requester', 'sar_response_team', 'annual_report')", name=op.f('ck_jobs_kind_known')),
    sa.CheckConstraint("result IS NULL OR status = 'ready'", name=op.f('ck_jobs_only_ready_holds_a_file')),
    sa.CheckConstraint("status IN ('queued', 'running', 'ready', 'failed', 'downloaded', 'expired')", name=op.f('ck_jobs_status_known')),
    sa.CheckConstraint("step IN ('waiting', 'reading', 'redacting', 'counting', 'drawing', 'storing', 'done')", name=op.f('ck_jobs_step_known')),
    sa.CheckConstraint('(request_id IS NULL) <> (academic_year IS NULL)', name=op.f('ck_jobs_about_one_thing')),
    sa.ForeignKeyConstraint(['request_id'], ['information_requests.id'], name=op.f('fk_jobs_request_id_information_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['staff_users.id'], name=op.f('fk_jobs_requested_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('token', name=op.f('uq_jobs_token'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index('ix_jobs_status_expires_at', ['status', 'expires_at'], unique=False)



def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_expires_at')
        batch_op.drop_index(batch_op.f('ix_jobs_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_request_id'))
        batch_op.drop_index('ix_jobs_created_at')

    op.drop_table('jobs')
