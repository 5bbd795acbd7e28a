"""Frozen statistics: a year's raw counts, kept after its records are destroyed (issue 12).

One row per frozen year (the year is the key, so a year is frozen once; who froze it and when) and
one row per cell of each measure: the year, the measure, one or two category codes and the raw count.
No id, reference or date finer than the year.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 16:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'frozen_statistics_years',
        sa.Column('year', sa.String(length=7), nullable=False),
        sa.Column('frozen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('frozen_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('length(year) = 7', name=op.f('ck_frozen_statistics_years_year_named_like_2025_26')),
        sa.ForeignKeyConstraint(['frozen_by_id'], ['staff_users.id'], name=op.f('fk_frozen_statistics_years_frozen_by_id_staff_users')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_frozen_statistics_years')),
    )
    op.create_table(
        'frozen_statistics_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('year', sa.String(length=7), nullable=False),
        sa.Column('measure', sa.String(length=48), nullable=False),
        sa.Column('category', sa.String(length=48), nullable=False),
        sa.Column('second_category', sa.String(length=48), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.CheckConstraint('count >= 0', name=op.f('ck_frozen_statistics_counts_count_not_negative')),
        sa.ForeignKeyConstraint(['year'], ['frozen_statistics_years.year'], name=op.f('fk_frozen_statistics_counts_year_frozen_statistics_years')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_frozen_statistics_counts')),
        sa.UniqueConstraint('year', 'measure', 'category', 'second_category', name=op.f('uq_frozen_counts_cell')),
    )


def downgrade():
    op.drop_table('frozen_statistics_counts')
    op.drop_table('frozen_statistics_years')
