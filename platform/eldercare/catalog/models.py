from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Category(db.Model):
    """A service category: 助餐, 助浴, 助洁, 助行, ..."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    sort_order: Mapped[int] = mapped_column(default=0)

    items: Mapped[list["Item"]] = relationship(back_populates="category", order_by="Item.id")


class Item(db.Model):
    """A bookable service with the bureau's guide price; providers may charge at most this."""

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    price_fen: Mapped[int]
    unit: Mapped[str] = mapped_column(String(20))
    duration_minutes: Mapped[int]
    voucher_eligible: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(String(400))

    category: Mapped[Category] = relationship(back_populates="items")

    @property
    def category_code(self) -> str:
        return self.category.code
