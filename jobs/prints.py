"""全校批量打印 as a job: every class's 学生花名册, or every student's 学籍卡片, of one school in one PDF, which the
job page offers for download (webapp/prints.py). Writes no rows: a retry makes the file again."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import prints
from jobs.runner import kind
from models.job import Job, Progress
from models.student import Student
from models.user import User
from webapp import xlsx

SCHOOL_BATCH = "prints.school"


@kind(SCHOOL_BATCH, writes=False)
def school(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    from webapp.prints import batch_path  # the one place that names the file

    school_id, what = job.params["school_id"], job.params["what"]
    mark = xlsx.watermark(session.get_one(User, job.started_by_id))
    if what == "cards":
        students = session.scalars(
            select(Student)
            .where(Student.school_id == school_id, Student.status.in_(prints.ON_ROSTER))
            .order_by(Student.class_id, Student.name, Student.id)
        ).all()
        stories = []
        for done, student in enumerate(students):
            if done % 50 == 0:
                progress(done, len(students), "生成学籍卡片")
            stories.append(prints.card_story(prints.card_of(session, student)))
        count, title = len(students), "学籍卡片"
    else:
        progress(0, 1, "读取各班学生")
        rosters = prints.school_rosters(session, school_id)
        stories = [prints.roster_story(roster) for roster in rosters]
        count, title = sum(len(r.rows) for r in rosters), "学生花名册"
    progress(0, 1, "排版PDF")
    data = prints.pdf(stories, title=title, mark=mark)
    path = batch_path(job.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    current_app.logger.info("batch print %s: %s students, %s bytes", job.id, count, len(data))
    return {"students": count, "bytes": len(data), "download": f"/prints/jobs/{job.id}.pdf"}
