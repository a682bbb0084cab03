"""升级 and 毕业 batches as jobs (F-35, F-38), started from their pages, which show the job's bar and outcome.

Both write in the job's one transaction (``writes=True``): a job that fails, is cancelled or whose worker dies
leaves no student graduated and the grade year unmoved; its retry starts from nothing. Promoting twice is refused
by the database as well (one *done* run per province and year, a partial unique index), and a graduation's
students are fixed when it is submitted, so a retry can only graduate those who are still in school: exactly
what one successful run would have done."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import graduation, promotion
from jobs.runner import kind
from models.base import utcnow
from models.job import Job, Progress
from models.org import SchoolClass
from models.student import Student
from models.user import User

GRADUATE = "graduation.graduate"
PROMOTE = "promotion.promote"


def graduation_key(class_id: int, student_ids: list[int], batch: str) -> str:
    """One graduation job per submitted form (``batch``, a token the page renders into it) and set of students:
    the same form sent twice, or again after a failure, is one job; a page shown anew (say after 毕业生驳回 returned
    a pupil) starts a new one."""
    digest = hashlib.sha256(",".join(map(str, sorted(student_ids))).encode()).hexdigest()[:16]
    return f"{GRADUATE}:{class_id}:{batch}:{digest}"


def promotion_key(run_id: int) -> str:
    return f"{PROMOTE}:{run_id}"


@kind(GRADUATE, writes=True)
def graduate(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    actor = session.get_one(User, job.started_by_id)
    school_class = session.get_one(SchoolClass, job.params["class_id"])
    ids: list[int] = job.params["student_ids"]
    students = list(session.scalars(select(Student).where(Student.id.in_(ids)).order_by(Student.name, Student.id)))
    on = date.fromisoformat(job.params["on"])  # the day it was asked for, also when retried later
    count = graduation.graduate(session, actor, students, on=on, progress=progress)
    whole = "全班 " if job.params.get("whole_class") else ""
    return {"message": f"{school_class.name}：{whole}{count} 名学生已毕业", "count": count}


@kind(PROMOTE, writes=True)
def promote(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    actor = session.get_one(User, job.started_by_id) if job.started_by_id else None
    run = promotion.promote(session, job.params["run_id"], actor=actor, now=utcnow(), progress=progress)
    return {
        "message": f"已升级：{run.from_year}→{run.to_year}学年，在校 {run.report['students']} 人",
        "report": run.report,
    }
