"""数据质量核查 (F-58): opening and closing campaigns, validated and audited."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from models import audit
from models.errors import DomainError
from models.org import OrgLevel, OrgUnit
from models.quality import QualityBaseline, QualityCampaign, flagged_by_school
from models.user import User


def open_campaign(
    session: Session, actor: User, scope: OrgUnit, title: str, deadline: date | None, *, today: date
) -> QualityCampaign:
    """The campaign over ``scope`` (the actor's unit or one below it, not a school), with what each school has to
    fix now as the baseline of its progress."""
    if not scope.path.startswith(actor.org.path) or scope.level in (OrgLevel.SCHOOL, OrgLevel.NATIONAL):
        raise DomainError("核查范围须为本单位或下级行政单位")
    title = title.strip()
    if not title or len(title) > 100:  # noqa: PLR2004 -- the column's length
        raise DomainError("请填写核查名称（不超过100字）")
    if deadline is None or deadline < today:
        raise DomainError("截止日期不能早于今天")
    campaign = QualityCampaign(org_id=scope.id, title=title, deadline=deadline, opened_by_id=actor.id)
    session.add(campaign)
    session.flush()
    found = flagged_by_school(session, scope)
    session.add_all(QualityBaseline(campaign_id=campaign.id, school_id=s, flagged=n) for s, n in found.items())
    audit.record(
        session,
        actor=actor,
        action="开启数据质量核查",
        entity="quality_campaign",
        entity_id=campaign.id,
        before={},
        after={"scope": scope.name, "title": title, "deadline": deadline.isoformat(), "found": sum(found.values())},
    )
    session.flush()
    return campaign


def close_campaign(session: Session, actor: User, campaign: QualityCampaign, now: datetime) -> None:
    if campaign.org_id != actor.org_id:
        raise DomainError("只有开启核查的单位可以结束核查")
    if campaign.closed_at is not None:
        raise DomainError("该核查已结束")
    campaign.closed_at = now
    audit.record(
        session,
        actor=actor,
        action="结束数据质量核查",
        entity="quality_campaign",
        entity_id=campaign.id,
        before={},
        after={"closed_at": now.isoformat()},
    )
