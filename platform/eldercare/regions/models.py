from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

LEVELS = ("district", "street", "community")
PARENT_LEVEL = {"district": None, "street": "district", "community": "street"}


class Region(db.Model):
    """A district (or county-level city), a street (or town), or a community (or village)."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # A representative point, used by the demo city and by matching as a fallback location.
    lat: Mapped[float | None]
    lng: Mapped[float | None]

    parent: Mapped["Region | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent")

    def __repr__(self):
        return f"<Region {self.code} {self.name}>"
