"""Service points (canteens, bathing points, day care), their staff and items, the elder card's version, the
check-ins at the counter; work orders name the point and who served; the voucher policy's meals a day.

Revision ID: e6c3a9d1f2b8
Revises: e3a1b2c4d5f6
Create Date: 2026-11-28 18:20:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'e6c3a9d1f2b8'
down_revision = 'e3a1b2c4d5f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lng", sa.Double(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("daily_capacity", sa.Integer(), nullable=False),
        sa.Column("second_meal", sa.String(length=10), server_default="full_price", nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("review_note", sa.String(length=400), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('canteen', 'bathing', 'day_care')", name=op.f("ck_service_points_kind_known")),
        sa.CheckConstraint("daily_capacity > 0", name=op.f("ck_service_points_capacity_positive")),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], name=op.f("fk_service_points_provider_id_providers")),
        sa.ForeignKeyConstraint(["community_id"], ["regions.id"], name=op.f("fk_service_points_community_id_regions")),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["users.id"], name=op.f("fk_service_points_reviewed_by_id_users")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_service_points_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_points")),
    )
    with op.batch_alter_table("service_points") as batch:
        batch.create_index(batch.f("ix_service_points_provider_id"), ["provider_id"], unique=False)
        batch.create_index(batch.f("ix_service_points_community_id"), ["community_id"], unique=False)
        batch.create_index(batch.f("ix_service_points_status"), ["status"], unique=False)
    op.create_table(
        "service_point_items",
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("price_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint("price_fen >= 0", name=op.f("ck_service_point_items_price_not_negative")),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name=op.f("fk_service_point_items_service_point_id_service_points")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_service_point_items_item_id_items")),
        sa.PrimaryKeyConstraint("service_point_id", "item_id", name=op.f("pk_service_point_items")),
    )
    op.create_table(
        "service_point_staff",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_service_point_staff_user_id_users")),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name=op.f("fk_service_point_staff_service_point_id_service_points")),
        sa.PrimaryKeyConstraint("user_id", "service_point_id", name=op.f("pk_service_point_staff")),
    )
    op.create_table(
        "elder_cards",
        sa.Column("elder_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["elder_id"], ["elders.id"], name=op.f("fk_elder_cards_elder_id_elders")),
        sa.PrimaryKeyConstraint("elder_id", name=op.f("pk_elder_cards")),
    )
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("service_point_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("served_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_work_orders_service_point_id_service_points"), "service_points",
                                 ["service_point_id"], ["id"])
        batch.create_foreign_key(batch.f("fk_work_orders_served_by_id_users"), "users", ["served_by_id"], ["id"])
        batch.create_index(batch.f("ix_work_orders_service_point_id"), ["service_point_id"], unique=False)
    op.create_table(
        "service_point_check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("elder_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("slot", sa.String(length=10), nullable=False),
        sa.Column("subsidised", sa.Boolean(), nullable=False),
        sa.Column("served_by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"], name=op.f("fk_service_point_check_ins_order_id_work_orders")),
        sa.ForeignKeyConstraint(["service_point_id"], ["service_points.id"],
                                name=op.f("fk_service_point_check_ins_service_point_id_service_points")),
        sa.ForeignKeyConstraint(["elder_id"], ["elders.id"], name=op.f("fk_service_point_check_ins_elder_id_elders")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_service_point_check_ins_item_id_items")),
        sa.ForeignKeyConstraint(["served_by_id"], ["users.id"], name=op.f("fk_service_point_check_ins_served_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_point_check_ins")),
        sa.UniqueConstraint("order_id", name=op.f("uq_service_point_check_ins_order_id")),
        sa.UniqueConstraint("elder_id", "item_id", "service_point_id", "served_on", "slot", name="uq_check_ins_slot"),
    )
    with op.batch_alter_table("service_point_check_ins") as batch:
        batch.create_index("ix_check_ins_point_day", ["service_point_id", "served_on"], unique=False)
        batch.create_index("ix_check_ins_elder_day", ["elder_id", "served_on"], unique=False)
    with op.batch_alter_table("voucher_policies") as batch:
        batch.add_column(sa.Column("meals_a_day", sa.Integer(), server_default="2", nullable=False))
        batch.create_check_constraint("meals_a_day_not_negative", "meals_a_day >= 0")


def downgrade():
    with op.batch_alter_table("voucher_policies") as batch:
        batch.drop_constraint(batch.f("ck_voucher_policies_meals_a_day_not_negative"), type_="check")
        batch.drop_column("meals_a_day")
    op.drop_table("service_point_check_ins")
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_index(batch.f("ix_work_orders_service_point_id"))
        batch.drop_constraint(batch.f("fk_work_orders_served_by_id_users"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_work_orders_service_point_id_service_points"), type_="foreignkey")
        batch.drop_column("served_by_id")
        batch.drop_column("service_point_id")
    op.drop_table("elder_cards")
    op.drop_table("service_point_staff")
    op.drop_table("service_point_items")
    op.drop_table("service_points")
