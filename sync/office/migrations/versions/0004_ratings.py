"""ratings (好差评) and their follow-ups (差评回访)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import sync.office.models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rating',
    sa.Column('ticket_uid', sa.String(length=36), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('comment', sa.String(length=400), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('window_number', sa.Integer(), nullable=True),
    sa.Column('business_code', sa.String(length=40), nullable=True),
    sa.Column('clerk', sa.String(length=50), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=True),
    sa.Column('rated_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.Column('received_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], name=op.f('fk_rating_hall_id_hall')),
    sa.PrimaryKeyConstraint('ticket_uid', name=op.f('pk_rating'))
    )
    with op.batch_alter_table('rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_hall_id'), ['hall_id'], unique=False)
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_uid', sa.String(length=36), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('opened_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.Column('visited_at', sync.office.models.UTCDateTime(), nullable=True),
    sa.Column('visited_by', sa.String(length=100), nullable=False),
    sa.Column('visit_note', sa.String(length=1000), nullable=False),
    sa.Column('rectified_at', sync.office.models.UTCDateTime(), nullable=True),
    sa.Column('rectified_by', sa.String(length=100), nullable=False),
    sa.Column('rectify_note', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], name=op.f('fk_follow_up_hall_id_hall')),
    sa.ForeignKeyConstraint(['ticket_uid'], ['rating.ticket_uid'], name=op.f('fk_follow_up_ticket_uid_rating')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('ticket_uid', name=op.f('uq_follow_up_ticket_uid'))
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_hall_state', ['hall_id', 'state'], unique=False)


def downgrade() -> None:
    op.drop_table('follow_up')
    op.drop_table('rating')
