"""Single-use account set-up links (issue 11): nobody but the person knows a usable password of
theirs. A new table holds each link's token as a SHA-256 digest with its purpose and expiry, and
staff accounts record when the person chose their password (none yet: they have no usable one).
Accounts that exist already chose theirs when they were created, as far as anyone can tell.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_set_up_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_set_up_links_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_set_up_links')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_staff_set_up_links_token_sha256'))
    )
    with op.batch_alter_table('staff_set_up_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_set_up_links_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_chosen_at', sa.DateTime(timezone=True), nullable=True))
    staff_users = sa.table('staff_users', sa.column('created_at'), sa.column('password_chosen_at'))
    op.execute(staff_users.update().values(password_chosen_at=staff_users.c.created_at))


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('password_chosen_at')

    with op.batch_alter_table('staff_set_up_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_set_up_links_user_id'))

    op.drop_table('staff_set_up_links')
