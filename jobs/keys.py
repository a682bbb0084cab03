"""Key rotation as a job (issue 22 item 1): every sealed value re-encrypted under the current key version, batch
by batch while the system runs (models/key_rotation.py); ``flask xueji rotate-key --background`` starts it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from jobs.runner import kind
from models import key_rotation
from models.job import Job, Progress

ROTATE = "crypto.rotate"


@kind(ROTATE, writes=False, partial=True)
def rotate(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    done = key_rotation.rotate(session, progress)
    return {
        "message": f"已用密钥版本 {done.version} 重新加密 {done.rows} 行（共检查 {done.checked} 行）",
        "version": done.version,
        "rows": done.rows,
        "checked": done.checked,
    }
