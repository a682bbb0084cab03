"""审批工作台 through the web: 退回 with prefill, bell, bulk with per-item results, saved views, 抄送我的, and the
jurisdiction of every verb route (another county gets 404 for a task or case it cannot see)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from models.org import SchoolClass
from models.student import Student
from models.workbench import CaseCopy
from models.workflow import InboxTask, ProcessInstance, TaskStatus

RECEIVING = "nanming-xx-registrar"
SENDING = "yunyan-xx-registrar"
COUNTY = "nanming-county"
OUTSIDER = "dongcheng-county"  # 北京市东城区: no part in a 贵州 transfer


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def start_transfer(session, user, login_as, clock):
    to_class = session.scalars(
        select(SchoolClass).where(SchoolClass.cohort.has(school_id=user(RECEIVING).org_id))
    ).first()

    def start(reason: str = "随父母户籍迁入南明区") -> ProcessInstance:
        client = login_as(RECEIVING)
        student = session.scalars(
            select(Student)
            .where(Student.school_id == user(SENDING).org_id, Student.open_case_id.is_(None))
            .order_by(Student.id)
        ).first()
        response = client.post(
            "/transfers/new",
            data={
                "national_student_id": student.national_student_id,
                "student_name": student.name,
                "to_class_id": str(to_class.id),
                "cause": "户籍变更",
                "reason": reason,
            },
        )
        assert response.status_code == 302, text(response)
        session.expire_all()
        return session.scalars(select(ProcessInstance).order_by(ProcessInstance.id.desc())).first()

    return start


def open_row(session, case, bpmn_id) -> InboxTask:
    session.expire_all()
    return session.scalars(
        select(InboxTask).where(
            InboxTask.instance_id == case.id, InboxTask.bpmn_id == bpmn_id, InboxTask.status == TaskStatus.OPEN
        )
    ).one()


def test_county_returns_to_the_school_which_corrects_and_resubmits(start_transfer, session, login_as):
    case = start_transfer(reason="第一次的理由")
    task = open_row(session, case, "to_county_review")
    client = login_as(COUNTY)
    page = text(client.get(f"/tasks/{task.id}"))
    assert "退回" in page and "发起人（转入学校提交转学申请）" in page
    target = re.search(r'name="return-target" id="rt-1" value="([0-9a-f-]+)"', page).group(1)
    refused = client.post(f"/workbench/tasks/{task.id}/return", data={"return-target": target, "return-reason": ""})
    assert refused.status_code == 302 and open_row(session, case, "to_county_review").id == task.id
    done = client.post(
        f"/workbench/tasks/{task.id}/return", data={"return-target": target, "return-reason": "请写明迁入地址"}
    )
    assert done.status_code == 302
    back = open_row(session, case, "start")

    school = login_as(RECEIVING)
    inbox = text(school.get("/"))
    assert f'href="/tasks/{back.id}"' in inbox and "请写明迁入地址" in inbox
    form = text(school.get(f"/tasks/{back.id}"))
    assert "第一次的理由" in form and "请写明迁入地址" in form  # the earlier entry, the reason on top
    assert 'data-testid="bell-count">1<' in form
    to_class = str(back.draft["data"]["to_class_id"])
    resubmitted = school.post(
        f"/tasks/{back.id}", data={"to_class_id": to_class, "cause": "户籍变更", "reason": "迁入南明区某路1号"}
    )
    assert resubmitted.status_code == 302
    session.expire_all()
    assert session.get(ProcessInstance, case.id).state_label == "待转入区县审核"
    case_page = text(login_as(COUNTY).get(f"/cases/{case.id}"))
    assert "退回至「发起人」" in case_page and "请写明迁入地址" in case_page


def test_urge_reaches_the_holders_bell(start_transfer, session, login_as):
    case = start_transfer()
    task = open_row(session, case, "to_county_review")
    school = login_as(RECEIVING)
    assert 'data-testid="urge"' in text(school.get(f"/cases/{case.id}"))
    assert school.post(f"/workbench/tasks/{task.id}/urge", data={"note": "家长着急"}).status_code == 302
    again = school.post(f"/workbench/tasks/{task.id}/urge", data={"note": "再催"}, follow_redirects=True)
    assert "一小时内已催办" in text(again)
    county = login_as(COUNTY)
    bell = text(county.get("/workbench/notifications"))
    assert "催办" in bell and case.title in bell


def test_bulk_approval_lists_each_result(start_transfer, session, login_as):
    cases = [start_transfer() for _ in range(3)]
    ids = [open_row(session, c, "to_county_review").id for c in cases]
    county = login_as(COUNTY)
    page = county.post("/workbench/bulk", data={"task_id": [str(i) for i in ids], "opinion": "同意"})
    assert page.status_code == 302 and "/jobs/" in page.location  # a job, whose page lists each result
    page = county.get(page.location)
    assert "共 3 项：成功 3 项，未办理 0 项" in text(page)
    session.expire_all()
    assert {session.get(ProcessInstance, c.id).state_label for c in cases} == {"待转出学校审核"}


def test_saved_view_keeps_filters_with_a_count(start_transfer, session, login_as):
    start_transfer()
    county = login_as(COUNTY)
    county.post(
        "/workbench/views", data={"name": "转入审核", "flow": "transfer_in_province", "step": "to_county_review"}
    )
    inbox = text(county.get("/"))
    assert re.search(r"转入审核 <span class=\"badge bg-secondary\">1</span>", inbox)
    case = session.scalars(select(ProcessInstance).order_by(ProcessInstance.id.desc())).first()
    for args, count in [
        ({"school": case.org_id}, 1),
        ({"initiator": case.initiator_id}, 1),
        ({"school": case.to_school_id}, 0),
        ({"due": "overdue"}, 0),
        ({"mine": "1"}, 0),
    ]:
        page = text(county.get("/", query_string=args))
        assert f'data-testid="inbox-count">{count}<' in page, args


def test_copied_user_reads_and_comments(start_transfer, session, login_as, user):
    case = start_transfer()
    county = login_as(COUNTY)
    city = user("guiyang-city")
    assert county.post(f"/workbench/cases/{case.id}/copy", data={"copy-user_id": [str(city.id)]}).status_code == 302
    reader = login_as("guiyang-city")
    assert "未读" in text(reader.get("/workbench/copied"))
    assert reader.get(f"/cases/{case.id}").status_code == 200
    assert session.scalars(select(CaseCopy).where(CaseCopy.user_id == city.id)).one().read_at is not None
    reader.post(f"/workbench/cases/{case.id}/comment", data={"comment-text": "请注意学位情况"})
    assert "请注意学位情况" in text(reader.get(f"/cases/{case.id}"))


def test_another_county_cannot_reach_any_verb_by_id(start_transfer, session, login_as):
    case = start_transfer()
    task = open_row(session, case, "to_county_review")
    outsider = login_as(OUTSIDER)
    assert outsider.get(f"/tasks/{task.id}").status_code == 404
    assert outsider.get(f"/cases/{case.id}").status_code == 404
    for path, data in [
        (f"/workbench/tasks/{task.id}/claim", {}),
        (f"/workbench/tasks/{task.id}/unclaim", {}),
        (f"/workbench/tasks/{task.id}/return", {"return-target": task.task_uuid, "return-reason": "x"}),
        (f"/workbench/tasks/{task.id}/reassign", {"reassign-user_id": "1"}),
        (f"/workbench/tasks/{task.id}/delegate", {"delegate-user_id": "1"}),
        (f"/workbench/tasks/{task.id}/sign", {"sign-user_id": "1"}),
        (f"/workbench/tasks/{task.id}/urge", {"note": "x"}),
        (f"/workbench/cases/{case.id}/withdraw", {}),
        (f"/workbench/cases/{case.id}/copy", {"copy-user_id": "1"}),
        (f"/workbench/cases/{case.id}/comment", {"comment-text": "x"}),
        ("/workbench/bulk", {"task_id": str(task.id)}),
    ]:
        assert outsider.post(path, data=data).status_code == 404, path
    session.expire_all()
    row = session.get(InboxTask, task.id)
    assert (row.status, row.claimed_by_id, row.urged_at) == (TaskStatus.OPEN, None, None)
    assert session.get(ProcessInstance, case.id).state_label == "待转入区县审核"


def test_bulk_of_everything_the_filter_selects_beyond_the_page(start_transfer, session, login_as, app):
    cases = [start_transfer() for _ in range(3)]
    app.config["PAGE_SIZE"] = 2
    county = login_as(COUNTY)
    inbox = text(county.get("/", query_string={"step": "to_county_review"}))
    assert "筛选出的全部 3 项" in inbox
    page = county.post(
        "/workbench/bulk", data={"all": "1", "step": "to_county_review", "opinion": "同意"}, follow_redirects=True
    )
    assert "共 3 项：成功 3 项，未办理 0 项" in text(page)
    session.expire_all()
    assert {session.get(ProcessInstance, c.id).state_label for c in cases} == {"待转出学校审核"}


def test_overdue_tasks_reach_the_superiors_list_after_the_tick(start_transfer, session, login_as):
    import engine as wf

    case = start_transfer()
    task = open_row(session, case, "to_county_review")
    wf.tick(session, now=task.due_at + timedelta(hours=1))
    city = login_as("guiyang-city")
    assert "下级单位有 1 项超期任务" in text(city.get("/"))
    listing = text(city.get("/workbench/overdue-below"))
    assert case.title in listing and "南明区" in listing
    assert "超期任务" not in text(login_as(OUTSIDER).get("/"))


def test_the_badge_is_every_kind_of_pending_work_and_another_county_sees_none(start_transfer, session, login_as, user):
    from handlers import registration as reg
    from handlers import worklist
    from models.base import utcnow
    from webapp.demo_rows import valid_row

    def badge(client) -> int:
        found = re.search(r'data-testid="pending-badge">(\d+)<', text(client.get("/workbench/copied")))
        return int(found.group(1)) if found else 0

    outsider_before = badge(login_as(OUTSIDER))
    start_transfer()  # a diagram task for the county
    school = user(RECEIVING)
    pupils = [
        reg.register(session, actor=school, raw=valid_row(n), business_type="新生注册", now=utcnow()) for n in range(2)
    ]
    session.flush()
    ids = [p.id for p in pupils]
    reg.school_review(session, actor=school, student_ids=ids, comment="已核对")
    reg.submit(session, actor=school, student_ids=ids)  # two registrations for 学籍注册核办
    session.commit()

    county = login_as(COUNTY)
    items = {item.label: item.count for item in worklist.pending_for(session, user(COUNTY))}
    assert items["审批任务"] == 1 and items["学籍注册核办"] == 2
    assert badge(county) == sum(items.values())
    home = text(county.get("/"))
    assert "学籍注册核办" in home and 'href="/registration/authority"' in home
    assert badge(login_as(OUTSIDER)) == outsider_before


def test_done_list_and_initiator_home(start_transfer, session, login_as):
    case = start_transfer()
    task = open_row(session, case, "to_county_review")
    county = login_as(COUNTY)
    county.post(f"/tasks/{task.id}", data={"decision": "通过"})
    assert case.title in text(county.get("/done"))
    home = text(login_as(RECEIVING).get("/"))
    assert "我发起的在办业务" in home and "待转出学校审核" in home


def test_copy_to_a_whole_organisation(start_transfer, session, login_as, user):
    case = start_transfer()
    county = login_as(COUNTY)
    page = text(county.get(f"/cases/{case.id}"))
    city = user("guiyang-city")
    assert f'<option value="{city.org_id}">贵阳市</option>' in page
    county.post(f"/workbench/cases/{case.id}/copy", data={"copy-org_id": str(city.org_id), "copy-note": "请知悉"})
    copied = session.scalars(select(CaseCopy.user_id).where(CaseCopy.instance_id == case.id)).all()
    assert city.id in copied
    outsider_org = user(OUTSIDER).org_id
    refused = county.post(f"/workbench/cases/{case.id}/copy", data={"copy-org_id": str(outsider_org)})
    assert refused.status_code == 302
    assert user(OUTSIDER).id not in session.scalars(select(CaseCopy.user_id)).all()
