"""Which in-province transfers need 市级审核 (F-30, Q-31): a rule table per province over (stage, scope).

Without a row for a (stage, scope) the domain default applies: city review for the senior stage only.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, enum_column
from models.org import Stage


class TransferScope(StrEnum):
    INTRA_COUNTY = "intra_county"
    CROSS_COUNTY = "cross_county"
    CROSS_CITY = "cross_city"
    CROSS_PROVINCE = "cross_province"  # the receiving side's city review (F-31 step 3)

    @property
    def label(self) -> str:
        return {
            "intra_county": "区县内转学",
            "cross_county": "跨区县转学",
            "cross_city": "跨市转学",
            "cross_province": "跨省转学",
        }[self]


class CityReviewRule(Base):
    __tablename__ = "transfer_city_review_rule"
    __table_args__ = (UniqueConstraint("org_id", "stage", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))  # the province
    stage: Mapped[Stage] = mapped_column(enum_column(Stage, 10))
    scope: Mapped[TransferScope] = mapped_column(enum_column(TransferScope, 20))
    city_review: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")


def default_city_review(stage: Stage, scope: TransferScope) -> bool:
    """Domain default (F-30, Q-31): "高中需要市级审核"."""
    return stage == Stage.SENIOR


def city_review_needed(session: Session, province_id: int, stage: Stage, scope: TransferScope) -> bool:
    rule = session.scalars(
        select(CityReviewRule).where(
            CityReviewRule.org_id == province_id, CityReviewRule.stage == stage, CityReviewRule.scope == scope
        )
    ).one_or_none()
    return rule.city_review if rule is not None else default_city_review(stage, scope)


class OutboundReview(Base):
    """Which optional steps the sending side of a cross-province transfer takes in this province (F-32):
    school and county always; city and province when configured (default: neither)."""

    __tablename__ = "transfer_outbound_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), unique=True)  # the province
    city_review: Mapped[bool] = mapped_column(default=False)
    province_review: Mapped[bool] = mapped_column(default=False)


def outbound_steps(session: Session, province_id: int) -> tuple[bool, bool]:
    """(city review, province review) of the sending side in this province."""
    row = session.scalars(select(OutboundReview).where(OutboundReview.org_id == province_id)).one_or_none()
    return (row.city_review, row.province_review) if row is not None else (False, False)


def rule_table(session: Session, province_id: int) -> list[tuple[Stage, TransferScope, bool, bool]]:
    """(stage, scope, city review, configured?) for every pair: what the province set, else the default."""
    rows = {
        (r.stage, r.scope): r.city_review
        for r in session.scalars(select(CityReviewRule).where(CityReviewRule.org_id == province_id))
    }
    return [
        (stage, scope, rows.get((stage, scope), default_city_review(stage, scope)), (stage, scope) in rows)
        for stage in Stage
        for scope in TransferScope
    ]


def set_city_review(session: Session, province_id: int, stage: Stage, scope: TransferScope, value: bool) -> None:
    rule = session.scalars(
        select(CityReviewRule).where(
            CityReviewRule.org_id == province_id, CityReviewRule.stage == stage, CityReviewRule.scope == scope
        )
    ).one_or_none()
    if rule is None:
        session.add(CityReviewRule(org_id=province_id, stage=stage, scope=scope, city_review=value))
    else:
        rule.city_review = value
    session.flush()


def set_outbound_steps(session: Session, province_id: int, *, city_review: bool, province_review: bool) -> None:
    row = session.scalars(select(OutboundReview).where(OutboundReview.org_id == province_id)).one_or_none()
    if row is None:
        row = OutboundReview(org_id=province_id)
        session.add(row)
    row.city_review, row.province_review = city_review, province_review
    session.flush()
