"""Audit log retention (issue 13, design 8): the checkpoint from which the chain is verified once
entries older than AUDIT_RETENTION_YEARS are removed.

The checkpoint is one row (absent until the first removal): the last removed entry's sequence,
keyed hash and key id. On PostgreSQL 0002's trigger function is replaced so that an audit entry is
still never updated, and is deleted only at or below the checkpoint; a second trigger lets the
checkpoint only move forward, onto an entry the chain holds, and never be deleted. That is exactly
what a removal does and nothing else. The downgrade restores 0002's function.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# Deleting an entry is the removal's work, and only behind the checkpoint the same transaction has
# just moved: a delete anywhere else, and any update, is refused whoever asks.
ENTRIES_FUNCTION = '''
CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.sequence <= (SELECT sequence FROM audit_checkpoint WHERE id = 1) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused on entry %', TG_OP, OLD.sequence;
END;
$$ LANGUAGE plpgsql
'''
APPEND_ONLY_FUNCTION_0002 = '''
CREATE OR REPLACE FUNCTION audit_entries_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: % refused on entry %', TG_OP, OLD.sequence;
END;
$$ LANGUAGE plpgsql
'''
# Moving the checkpoint back would let removed entries' absence pass for a cut after it; moving it
# onto a hash the chain does not hold would let anything follow it.
CHECKPOINT_FUNCTION = '''
CREATE OR REPLACE FUNCTION audit_checkpoint_only_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit checkpoint cannot be deleted';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW.id <> OLD.id OR NEW.sequence <= OLD.sequence) THEN
        RAISE EXCEPTION 'the audit checkpoint only moves forward: % to % refused', OLD.sequence, NEW.sequence;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM audit_entries
        WHERE sequence = NEW.sequence AND entry_hash = NEW.entry_hash AND key_id = NEW.key_id
    ) THEN
        RAISE EXCEPTION 'the audit checkpoint must be an entry of the chain: entry % does not have that hash',
            NEW.sequence;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
'''
CHECKPOINT_TRIGGER = '''
CREATE TRIGGER audit_checkpoint_moves_forward
BEFORE INSERT OR UPDATE OR DELETE ON audit_checkpoint
FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_only_forward()
'''


def upgrade():
    op.create_table('audit_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('moved_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_checkpoint_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(ENTRIES_FUNCTION)
        op.execute(CHECKPOINT_FUNCTION)
        op.execute(CHECKPOINT_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_checkpoint_moves_forward ON audit_checkpoint')
        op.execute('DROP FUNCTION IF EXISTS audit_checkpoint_only_forward()')
        op.execute(APPEND_ONLY_FUNCTION_0002)
    op.drop_table('audit_checkpoint')
