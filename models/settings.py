"""Parameter settings this issue needs: the in-school registration switch (F-09, F-53) and the controlled
fields with their approving level (F-51)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow
from models.org import OrgUnit

# F-51 default set (§F-18): field → (label, approving level). Q-08: county by default, 国籍 city.
DEFAULT_CONTROLLED = {
    "name": ("姓名", "county"),
    "sex": ("性别", "county"),
    "birth_date": ("出生日期", "county"),
    "ethnicity": ("民族", "county"),
    "id_doc_type": ("身份证件类型", "county"),
    "id_doc_number": ("身份证件号", "county"),
    "nationality": ("国籍/地区", "city"),
}


class RegistrationOpening(Base):
    """在校生注册 is closed by default; a province opens it for its whole subtree or one school until a time."""

    __tablename__ = "registration_opening"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    open_until: Mapped[datetime]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)


class ControlledField(Base):
    """The deployment's default controlled set, for a province that has not set its own."""

    __tablename__ = "controlled_field"

    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    approval_level: Mapped[str] = mapped_column(String(10), default="county")  # county | city


class ProvinceControlledField(Base):
    """受控字段设置 of one province (F-51: the province owns it); once a province saves its set, only that set counts
    for its schools, so one province's choice never changes another's."""

    __tablename__ = "province_controlled_field"

    province_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(40))
    approval_level: Mapped[str] = mapped_column(String(10), default="county")  # county | city


def in_school_registration_open(session: Session, school: OrgUnit, now: datetime) -> bool:
    """F-09: open when an unexpired opening covers the school or one of its ancestors."""
    found = session.scalar(
        select(RegistrationOpening.id).where(
            RegistrationOpening.org_id.in_(school.ancestor_ids()), RegistrationOpening.open_until > now
        )
    )
    return found is not None


def controlled_fields(session: Session, province_id: int) -> dict[str, tuple[str, str]]:
    """The province's own set, else the deployment's defaults (the table), else the seed's."""
    own = session.scalars(
        select(ProvinceControlledField).where(ProvinceControlledField.province_id == province_id)
    ).all()
    rows: Sequence[ControlledField | ProvinceControlledField] = own or session.scalars(select(ControlledField)).all()
    if not rows:
        return dict(DEFAULT_CONTROLLED)
    return {row.field: (row.label, row.approval_level) for row in rows}


class PhotoCollection(Base):
    """照片采集控制 (F-55): an organisation closes (or reopens) photo collection for its subtree."""

    __tablename__ = "photo_collection"

    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    closed: Mapped[bool] = mapped_column(default=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


def photo_collection_open(session: Session, org: OrgUnit) -> bool:
    """Open unless the organisation or one of its ancestors has closed it."""
    closed = session.scalar(
        select(PhotoCollection.org_id).where(PhotoCollection.org_id.in_(org.ancestor_ids()), PhotoCollection.closed)
    )
    return closed is None
