"""registration idempotency keys

Revision ID: 65db22f202a4
Revises: d8c10b98491d
Create Date: 2026-11-22 04:31:16.021952

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '65db22f202a4'
down_revision = 'd8c10b98491d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('registration_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('body_digest', sa.String(length=64), nullable=False),
    sa.Column('petition_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['petition_id'], ['petition.id'], name=op.f('fk_registration_key_petition_id_petition')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_registration_key_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_key')),
    sa.UniqueConstraint('user_id', 'key', name='uq_registration_key_user_key')
    )
    with op.batch_alter_table('registration_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_key_petition_id'), ['petition_id'], unique=False)



def downgrade():
    with op.batch_alter_table('registration_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_key_petition_id'))

    op.drop_table('registration_key')
