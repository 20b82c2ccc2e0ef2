"""console sessions: counter consoles stay signed in across a hall restart

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:35:00
"""

import sqlalchemy as sa
from alembic import op

import sync.columns

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_session',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('stamp_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sync.columns.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', sync.columns.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_console_session'))
    )
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_session_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_session_staff_id'))
    op.drop_table('console_session')
