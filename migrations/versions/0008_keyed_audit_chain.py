"""A keyed audit chain with key ids (issue 11).

Until now each audit entry's hash was a plain SHA-256 of fields in the same database, so anyone
able to write SQL could change or delete entries and compute the chain again. From here each hash
is an HMAC-SHA-256 keyed with the first key of AUDIT_CHAIN_KEY (kept outside the database), and
each entry stores the id of the key that signed it (`key_id`), so the key can be rotated later
without signing the chain again.

The upgrade first checks that the plain chain is whole, and refuses to go on if it is not: signing
a chain that was already changed would make the change verify. It then signs every entry again
with the current key and moves the head to the new last hash. The downgrade checks the keyed chain
(under every key AUDIT_CHAIN_KEY lists) and goes back to plain hashes the same way.

Entries are append-only (the model refuses updates; on PostgreSQL the trigger
audit_entries_append_only refuses UPDATE and DELETE), so the hashes are rewritten with Core SQL,
with the trigger disabled for that and enabled again inside the same transaction. The hashing is
written out here as this revision knows it, so the migration stays as it was written whatever the
service's canonical form later becomes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 15:30:00

"""
import datetime as dt
import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS_HASH = '0' * 64
BATCH = 1000


def _entries_table(with_key_id):
    columns = [
        sa.column('id', sa.Integer), sa.column('sequence', sa.Integer),
        sa.column('occurred_at', sa.DateTime(timezone=True)), sa.column('actor_id', sa.Integer),
        sa.column('action', sa.String), sa.column('record_type', sa.String), sa.column('record_id', sa.Integer),
        sa.column('client', sa.String), sa.column('detail', sa.String),
        sa.column('previous_hash', sa.String), sa.column('entry_hash', sa.String),
    ]
    if with_key_id:
        columns.append(sa.column('key_id', sa.String))
    return sa.table('audit_entries', *columns)


HEAD = sa.table('audit_chain_head', sa.column('id', sa.Integer), sa.column('length', sa.Integer),
                sa.column('last_hash', sa.String))


def _utc_text(moment):
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%f')


def _canonical(entry, key_id=None):
    fields = {
        'sequence': entry.sequence,
        'occurred_at': _utc_text(entry.occurred_at),
        'actor_id': entry.actor_id,
        'action': entry.action,
        'record_type': entry.record_type,
        'record_id': entry.record_id,
        'client': entry.client,
        'detail': entry.detail,
    }
    if key_id is not None:
        fields['key_id'] = key_id
    return json.dumps(fields, sort_keys=True, separators=(',', ':'))


def _key_id(key):
    return hmac.new(key.encode('utf-8'), b'audit chain key id', hashlib.sha256).hexdigest()[:16]


def _plain_hash(previous_hash, entry):
    return hashlib.sha256((previous_hash + _canonical(entry)).encode('utf-8')).hexdigest()


def _keyed_hash(previous_hash, entry, key, key_id):
    message = (previous_hash + _canonical(entry, key_id)).encode('utf-8')
    return hmac.new(key.encode('utf-8'), message, hashlib.sha256).hexdigest()


def _entries(connection, table):
    """Every entry in chain order, a batch at a time (each batch read whole before any is rewritten)."""
    after = 0
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.sequence > after).order_by(table.c.sequence).limit(BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].sequence


def _first_break(connection, table, entry_hash):
    """What is wrong with the chain as it stands (``entry_hash(previous, entry)`` giving each
    entry's hash), or None when it is whole."""
    expected_previous, count = GENESIS_HASH, 0
    for count, entry in enumerate(_entries(connection, table), start=1):
        if entry.sequence != count:
            return f'entry {count} is missing'
        if entry.previous_hash != expected_previous:
            return f'entry {entry.sequence} does not follow entry {count - 1}'
        if entry_hash(expected_previous, entry) != entry.entry_hash:
            return f'entry {entry.sequence} has been altered'
        expected_previous = entry.entry_hash
    head = connection.execute(sa.select(HEAD.c.length, HEAD.c.last_hash).where(HEAD.c.id == 1)).one_or_none()
    if head is None or (head.length, head.last_hash) != (count, expected_previous):
        return f'the chain should hold {head.length if head else 0} entries but ends after {count}'
    return None


def _refuse(problem):
    # RuntimeError: Flask-Migrate prints it as one line and exits 1; nothing has changed yet.
    raise RuntimeError(
        f'Refusing to migrate the audit log: {problem}. Signing it again would make any change to it '
        'verify; find out what happened and restore the log from a backup first.'
    )


def _refuse_unless_whole(connection, table, entry_hash, kind):
    problem = _first_break(connection, table, entry_hash)
    if problem is not None:
        _refuse(f'its {kind} chain is broken ({problem})')


def _sign_again(connection, table, entry_hash, key_id):
    """Every entry's previous and own hash worked out again in chain order, then the head's."""
    postgresql = connection.dialect.name == 'postgresql'
    if postgresql:
        # The trigger stays off only inside this transaction: if anything fails, the rollback
        # takes its disabling back too.
        connection.execute(sa.text('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only'))
    previous = GENESIS_HASH
    for entry in _entries(connection, table):
        new_hash = entry_hash(previous, entry)
        values = {'previous_hash': previous, 'entry_hash': new_hash}
        if key_id is not None:
            values['key_id'] = key_id
        connection.execute(sa.update(table).where(table.c.id == entry.id).values(**values))
        previous = new_hash
    connection.execute(sa.update(HEAD).where(HEAD.c.id == 1).values(last_hash=previous))
    if postgresql:
        connection.execute(sa.text('ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only'))


def upgrade():
    connection = op.get_bind()
    # Before anything changes, so a refusal leaves the database exactly as it was.
    _refuse_unless_whole(connection, _entries_table(with_key_id=False), _plain_hash, 'plain SHA-256')

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))

    key = current_app.config['AUDIT_CHAIN_KEYS'][0]
    key_id = _key_id(key)
    _sign_again(
        connection, _entries_table(with_key_id=True),
        lambda previous, entry: _keyed_hash(previous, entry, key, key_id), key_id,
    )

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('key_id', existing_type=sa.String(length=16), nullable=False)


def downgrade():
    connection = op.get_bind()
    keys = {_key_id(key): key for key in current_app.config['AUDIT_CHAIN_KEYS']}
    table = _entries_table(with_key_id=True)
    unknown = connection.execute(sa.select(table.c.key_id).where(table.c.key_id.not_in(list(keys))).limit(1)).scalar()
    if unknown is not None:
        _refuse(f"entries are signed with key id {unknown}, which is not among AUDIT_CHAIN_KEY's keys")
    _refuse_unless_whole(
        connection, table, lambda previous, entry: _keyed_hash(previous, entry, keys[entry.key_id], entry.key_id),
        'keyed',
    )
    _sign_again(connection, table, _plain_hash, None)

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('key_id')
