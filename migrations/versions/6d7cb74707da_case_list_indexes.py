"""case list indexes

Revision ID: 6d7cb74707da
Revises: 1e80ac55a572
Create Date: 2026-11-21 23:56:54.778735

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d7cb74707da'
down_revision = '1e80ac55a572'
branch_labels = None
depends_on = None


RUNNING = sa.text('due_on IS NOT NULL')
FILTERS = ('status', 'channel', 'purpose', 'category_id', 'township_id', 'lead_unit_id', 'leader_id')


def upgrade():
    with op.batch_alter_table('petition', schema=None) as batch_op:
        for column in FILTERS:
            batch_op.create_index(f'ix_petition_{column}_received_on',
                                  [column, 'received_on', 'id', 'accused_unit_id'], unique=False)
        batch_op.create_index('ix_petition_running_received_on', ['received_on', 'id', 'due_on'], unique=False,
                              sqlite_where=RUNNING, postgresql_where=RUNNING)


def downgrade():
    with op.batch_alter_table('petition', schema=None) as batch_op:
        batch_op.drop_index('ix_petition_running_received_on', sqlite_where=RUNNING, postgresql_where=RUNNING)
        for column in reversed(FILTERS):
            batch_op.drop_index(f'ix_petition_{column}_received_on')
