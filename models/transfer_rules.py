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

    @property
    def label(self) -> str:
        return {"intra_county": "区县内转学", "cross_county": "跨区县转学", "cross_city": "跨市转学"}[self]


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
