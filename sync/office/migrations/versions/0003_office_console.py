"""office console: staff accounts, sessions, audit, hall reports and tags, the ticket's clerk

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import sync.office.models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('office_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sync.office.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_account')),
    sa.UniqueConstraint('name', name=op.f('uq_office_account_name'))
    )
    op.create_table('console_session',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['office_account.id'],
                            name=op.f('fk_console_session_account_id_office_account')),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_console_session'))
    )
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_session_account_id'), ['account_id'], unique=False)
    op.create_table('office_audit',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('at', sync.office.models.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=1000), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_audit'))
    )
    with op.batch_alter_table('office_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_audit_at'), ['at'], unique=False)
    op.create_table('hall_report',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('reported_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], name=op.f('fk_hall_report_hall_id_hall')),
    sa.PrimaryKeyConstraint('hall_id', name=op.f('pk_hall_report'))
    )
    op.create_table('hall_tag',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], name=op.f('fk_hall_tag_hall_id_hall')),
    sa.PrimaryKeyConstraint('hall_id', 'tag', name=op.f('pk_hall_tag'))
    )
    with op.batch_alter_table('hall_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_tag_tag'), ['tag'], unique=False)
    op.create_table('ticket_day_figures',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('business_code', sa.String(length=40), nullable=False),
    sa.Column('window_number', sa.Integer(), nullable=True),
    sa.Column('clerk', sa.String(length=50), nullable=True),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('served', sa.Integer(), nullable=False),
    sa.Column('not_shown', sa.Integer(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.Column('wait_sum', sa.Float(), nullable=False),
    sa.Column('wait_n', sa.Integer(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['hall.id'], name=op.f('fk_ticket_day_figures_hall_id_hall')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_day_figures'))
    )
    with op.batch_alter_table('ticket_day_figures', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_day_figures_day_hall', ['service_day', 'hall_id'], unique=False)
    op.create_table('rolled_up_day',
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('rolled_up_at', sync.office.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('service_day', name=op.f('pk_rolled_up_day'))
    )
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clerk', sa.String(length=50), nullable=True))
        batch_op.create_index('ix_ticket_day_hall', ['service_day', 'hall_id'], unique=False)


def downgrade() -> None:
    op.drop_table('rolled_up_day')
    with op.batch_alter_table('ticket_day_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_day_figures_day_hall')
    op.drop_table('ticket_day_figures')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_day_hall')
        batch_op.drop_column('clerk')
    with op.batch_alter_table('hall_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_tag_tag'))
    op.drop_table('hall_tag')
    op.drop_table('hall_report')
    with op.batch_alter_table('office_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_audit_at'))
    op.drop_table('office_audit')
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_session_account_id'))
    op.drop_table('console_session')
    op.drop_table('office_account')
