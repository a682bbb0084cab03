"""Locust users of ``bench/http_load.py``: county reviewers working through their inbox over HTTP.

Each user logs in once, then repeats what a reviewer does, with a pause to read between clicks: open the inbox,
open a task, complete it (驳回 with a reason; the case goes back to the school). The tasks are real cases the bench
started through the engine; their ids come from the file named by XUEJI_LOAD_TASKS and are handed out one per
completion, as reviewers who each open a different row of the same inbox (no two users submit the same task).

Settings from the environment: XUEJI_LOAD_TASKS (file of task ids, one a line), XUEJI_LOAD_USER and
XUEJI_LOAD_PASSWORD (the reviewer account), XUEJI_LOAD_THINK (mean seconds between clicks).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from locust import HttpUser, between, task

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TASKS = iter(Path(os.environ["XUEJI_LOAD_TASKS"]).read_text().split())
USERNAME = os.environ.get("XUEJI_LOAD_USER", "nanming-county")
PASSWORD = os.environ["XUEJI_LOAD_PASSWORD"]
THINK = float(os.environ.get("XUEJI_LOAD_THINK", "1"))


def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


class Reviewer(HttpUser):
    wait_time = between(THINK * 0.5, THINK * 1.5)

    def on_start(self) -> None:
        page = self.client.get("/login", name="login page")
        form = {"csrf_token": csrf_token(page.text), "username": USERNAME, "password": PASSWORD}
        with self.client.post("/login", data=form, name="log in", allow_redirects=False, catch_response=True) as r:
            if r.status_code != 302:  # a login that succeeds redirects to the inbox
                r.failure(f"login answered {r.status_code}")

    @task
    def work_one_task(self) -> None:
        self.client.get("/", name="inbox page")
        task_id = next(TASKS, None)
        if task_id is None:  # the bench prepared too few: the user goes on reading the inbox
            return
        self.wait()
        with self.client.get(f"/tasks/{task_id}", name="task page", catch_response=True) as page:
            token = csrf_token(page.text)
            if page.status_code != 200 or not token:
                page.failure(f"task {task_id}: {page.status_code}, form {'shown' if token else 'missing'}")
                return
        self.wait()
        form = {"csrf_token": token, "decision": "驳回", "review_comment": "负载测试：请补充材料"}
        with self.client.post(
            f"/tasks/{task_id}", data=form, name="complete task", allow_redirects=False, catch_response=True
        ) as done:
            # Submitted: back to the inbox (302 to /). A refused form is 422; a task already handled goes to its case.
            # (A refusal by the engine also lands on the inbox: the bench counts completions in the database.)
            location = done.headers.get("Location", "")
            if done.status_code != 302 or urlsplit(location).path != "/":
                done.failure(f"task {task_id}: {done.status_code} → {location}")
