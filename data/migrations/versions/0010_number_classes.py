"""Importers: number classes and trunks learned from the PBX's records (issue 14).

- ``number_class``: per source, what a dialled number (extension, queue, ring group, IVR,
  conference, voicemail, feature code), a channel peer (a phone or a trunk) or a dialplan
  context (an IVR) is — learned by the CDR importer, confirmed / renamed / reclassified by
  the user on /admin/sources.
- ``call_leg`` keeps the CDR row's dcontext, lastapp, lastdata and dst, so calls can be
  derived again from their stored legs after a reclassification (``callboard db
  rebuild-calls``). Legs already stored keep NULL there (rebuilt as they were classified).
- ``ivr_choice.next_dest``: where the call went after the menu (or ``hangup``).
- ``agg_ivr_hour`` / ``agg_ivr_scope_hour`` gain ``next_dest`` in their key; rebuilt here
  from the facts with the statement data.aggregates.refresh uses.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SCOPE = ("extension", "peer_extension", "queue")


def _ivr_tables(with_next: bool) -> None:
    for name, scope in (("agg_ivr_hour", ()), ("agg_ivr_scope_hour", _SCOPE)):
        key = ["bucket_utc", "source_id", "direction", "ivr", "option", *(["next_dest"] if with_next else []), *scope]
        op.create_table(
            name,
            sa.Column("bucket_utc", sa.DateTime(), nullable=False),
            sa.Column("source_id", sa.Integer(), nullable=False),
            sa.Column("direction", sa.String(length=10), nullable=False),
            sa.Column("ivr", sa.String(length=32), nullable=False),
            sa.Column("option", sa.String(length=8), nullable=False),
            *([sa.Column("next_dest", sa.String(length=64), nullable=False)] if with_next else []),
            *(sa.Column(c, sa.String(length=32), nullable=False) for c in scope),
            sa.Column("entries", sa.Integer(), nullable=False),
            sa.Column("choices", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")),
        )
        for column in scope:
            op.create_index(f"ix_{name}_{column}", name, [column, "bucket_utc"])


def upgrade() -> None:
    op.create_table(
        "number_class",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("source_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("namespace", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=8), server_default="learned", nullable=False),
        sa.Column("label", sa.String(length=100)),
        sa.Column("seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_seen_utc", sa.DateTime()),
        sa.Column("last_seen_utc", sa.DateTime()),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], name=op.f("fk_number_class_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_class")),
        sa.UniqueConstraint("source_id", "namespace", "name", name=op.f("uq_number_class_source_id_namespace_name")),
    )
    with op.batch_alter_table("call_leg") as batch:
        batch.add_column(sa.Column("dcontext", sa.String(80)))
        batch.add_column(sa.Column("lastapp", sa.String(32)))
        batch.add_column(sa.Column("lastdata", sa.String(200)))
        batch.add_column(sa.Column("dst", sa.String(80)))
    with op.batch_alter_table("ivr_choice") as batch:
        batch.add_column(sa.Column("next_dest", sa.String(64)))
    op.drop_table("agg_ivr_scope_hour")
    op.drop_table("agg_ivr_hour")
    _ivr_tables(with_next=True)
    from data import aggregates
    from data import schema as s

    lo, hi = datetime(1970, 1, 1), datetime(9999, 1, 1)
    bind = op.get_bind()
    bind.execute(s.agg_ivr_hour.insert().from_select(aggregates.IVR_NEXT_COLS,
                                                     aggregates.ivr_next_rows_select(lo, hi)))
    bind.execute(s.agg_ivr_scope_hour.insert().from_select(aggregates.IVR_NEXT_SCOPE_COLS,
                                                           aggregates.ivr_next_scope_rows_select(lo, hi)))


def downgrade() -> None:
    op.drop_table("agg_ivr_scope_hour")
    op.drop_table("agg_ivr_hour")
    _ivr_tables(with_next=False)  # empty: `callboard db rebuild-aggregates` fills them
    with op.batch_alter_table("ivr_choice") as batch:
        batch.drop_column("next_dest")
    with op.batch_alter_table("call_leg") as batch:
        for column in ("dst", "lastdata", "lastapp", "dcontext"):
            batch.drop_column(column)
    op.drop_table("number_class")
