"""重复招生处理 / 核办 / 仲裁 (F-46): every path of processes/duplicate_admission.bpmn, through real forms."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from conftest import CaseDriver
from models.admission import Admission, AdmissionStatus
from models.errors import DomainError
from models.org import Stage
from models.student import Student, StudentStatus
from models.workflow import CaseStatus
from webapp.admissions import admit_graduate

JUNIOR = "nanming-cz-registrar"
NANMING_GZ = "nanming-gz-registrar"
YUNYAN_GZ = "yunyan-gz-registrar"
MEITAN_GZ = "meitan-gz-registrar"
NANMING = "nanming-county"
YUNYAN = "yunyan-county"
MEITAN = "meitan-county"
PROOF = {"action": "佐证", "opinion": "学生本人选择本校", "proof": "录取通知书回执"}


def admit(session, user, username: str, student: Student):
    registrar = user(username)
    return admit_graduate(session, registrar, student_id=student.id, school_id=registrar.org_id, stage=Stage.SENIOR)


def duplicate(session, user, student: Student, second: str = YUNYAN_GZ) -> tuple[CaseDriver, Admission, Admission]:
    first, none = admit(session, user, NANMING_GZ, student)
    assert none is None
    later, case = admit(session, user, second, student)
    assert case is not None
    session.expire_all()
    return CaseDriver(session, case), first, later


def statuses(session, *rows: Admission) -> list[AdmissionStatus]:
    session.expire_all()
    return [session.get(Admission, row.id).status for row in rows]


def test_a_single_admission_opens_no_case_and_a_non_graduate_is_refused(session, user, graduates, student_of):
    admission, case = admit(session, user, NANMING_GZ, graduates[0])
    assert case is None
    assert admission.status == AdmissionStatus.PENDING
    with pytest.raises(DomainError, match="该学生的学籍状态是非毕业生!"):
        admit(session, user, NANMING_GZ, student_of(JUNIOR))
    with pytest.raises(DomainError, match="已被本校招生录取"):
        admit(session, user, NANMING_GZ, graduates[0])


def test_second_admission_opens_a_case_for_both_schools(session, user, graduates):
    case, first, later = duplicate(session, user, graduates[0])
    assert statuses(session, first, later) == [AdmissionStatus.DUPLICATE] * 2
    assert case.state == "待处理"
    assert case.seats() == [
        ("a_action", "南明高级中学", "school_registrar"),
        ("b_action", "云岩高级中学", "school_registrar"),
    ]


def test_both_prove_both_counties_pass_city_arbitrates_one_admission(session, user, graduates):
    case, first, later = duplicate(session, user, graduates[0])
    case.submit("a_action", by=user(NANMING_GZ), **PROOF)
    case.submit("b_action", by=user(YUNYAN_GZ), **PROOF)
    assert case.seats() == [
        ("a_review", "南明区", "county_officer"),
        ("b_review", "云岩区", "county_officer"),
    ]
    assert session.get(Admission, first.id).school_opinion == "学生本人选择本校"
    case.submit("a_review", by=user(NANMING), decision="通过")
    case.submit("b_review", by=user(YUNYAN), decision="通过")
    assert case.state == "待仲裁"
    assert case.seats() == [("arbitration", "贵阳市", "city_officer")]

    case.submit("arbitration", by=user("guiyang-city"), winner="b", comment="以学生意愿为准")
    assert case.state == "仲裁完成"
    assert case.case.status == CaseStatus.COMPLETED
    assert statuses(session, first, later) == [AdmissionStatus.REJECTED, AdmissionStatus.ADMITTED]


def test_arbitration_may_fail_all(session, user, graduates):
    case, first, later = duplicate(session, user, graduates[0])
    for side, school, county in (("a", NANMING_GZ, NANMING), ("b", YUNYAN_GZ, YUNYAN)):
        case.submit(f"{side}_action", by=user(school), **PROOF)
        case.submit(f"{side}_review", by=user(county), decision="通过")
    case.submit("arbitration", by=user("guiyang-city"), winner="none", comment="材料均不实")
    assert case.state == "仲裁完成"
    assert statuses(session, first, later) == [AdmissionStatus.REJECTED] * 2


def test_arbitration_across_cities_goes_to_the_province_and_needs_a_comment(session, user, graduates):
    case, first, later = duplicate(session, user, graduates[0], second=MEITAN_GZ)
    case.submit("a_action", by=user(NANMING_GZ), **PROOF)
    case.submit("b_action", by=user(MEITAN_GZ), **PROOF)
    case.submit("a_review", by=user(NANMING), decision="通过")
    case.submit("b_review", by=user(MEITAN), decision="通过")
    assert case.seats() == [("arbitration", "贵州省", "province_officer")]
    assert not case.form_for("arbitration", winner="a").validate()
    case.submit("arbitration", by=user("guizhou-province"), winner="a", comment="先录取")
    assert statuses(session, first, later) == [AdmissionStatus.ADMITTED, AdmissionStatus.REJECTED]


def test_one_school_deletes_the_other_proves_and_passes_it_is_admitted(session, user, graduates):
    case, first, later = duplicate(session, user, graduates[0])
    case.submit("a_action", by=user(NANMING_GZ), action="删除")
    assert statuses(session, first) == [AdmissionStatus.DELETED]
    case.submit("b_action", by=user(YUNYAN_GZ), **PROOF)
    case.submit("b_review", by=user(YUNYAN), decision="通过")
    assert case.state == "已录取"
    assert statuses(session, first, later) == [AdmissionStatus.DELETED, AdmissionStatus.ADMITTED]


def test_county_failure_and_deletion_leave_no_admission(session, user, graduates):
    case, first, later = duplicate(session, user, graduates[0])
    case.submit("b_action", by=user(YUNYAN_GZ), **PROOF)
    assert not case.form_for("b_review", decision="不通过").validate()  # a failure needs a comment
    case.submit("b_review", by=user(YUNYAN), decision="不通过", comment="材料不全")
    case.submit("a_action", by=user(NANMING_GZ), action="删除")
    assert case.state == "全部不录取"
    assert statuses(session, first, later) == [AdmissionStatus.DELETED, AdmissionStatus.REJECTED]


def test_both_delete_all_fail(session, user, graduates):
    case, first, later = duplicate(session, user, graduates[0])
    assert not case.form_for("a_action", action="佐证").validate()  # 佐证 needs opinion and proof
    case.submit("a_action", by=user(NANMING_GZ), action="删除")
    case.submit("b_action", by=user(YUNYAN_GZ), action="删除")
    assert case.state == "全部不录取"
    assert statuses(session, first, later) == [AdmissionStatus.DELETED] * 2


def test_two_cases_of_one_student_cannot_both_admit(session, user, graduates):
    """A third school admits while the first case is open: two cases name the first admission; whichever
    arbitration comes second cannot make a second school hold the student."""
    case1, first, later = duplicate(session, user, graduates[0])
    third, case = admit(session, user, MEITAN_GZ, graduates[0])
    case2 = CaseDriver(session, case)
    for case, other, other_county in ((case1, YUNYAN_GZ, YUNYAN), (case2, MEITAN_GZ, MEITAN)):
        case.submit("a_action", by=user(NANMING_GZ), **PROOF)
        case.submit("b_action", by=user(other), **PROOF)
        case.submit("a_review", by=user(NANMING), decision="通过")
        case.submit("b_review", by=user(other_county), decision="通过")
    case1.submit("arbitration", by=user("guiyang-city"), winner="b", comment="云岩")
    with pytest.raises(DomainError, match="该学生已被其他学校录取"):
        case2.submit("arbitration", by=user("guizhou-province"), winner="b", comment="湄潭")
    assert case2.state == "待仲裁"
    assert statuses(session, first, later, third) == [
        AdmissionStatus.REJECTED,
        AdmissionStatus.ADMITTED,
        AdmissionStatus.DUPLICATE,
    ]
    case2.submit("arbitration", by=user("guizhou-province"), winner="none", comment="已由贵阳市仲裁")
    assert statuses(session, third) == [AdmissionStatus.REJECTED]


def test_the_database_refuses_a_second_admitted_row(session, user, graduates):
    first, _ = admit(session, user, NANMING_GZ, graduates[1])
    later, _ = admit(session, user, YUNYAN_GZ, graduates[1])
    first.status = AdmissionStatus.ADMITTED
    session.flush()
    later.status = AdmissionStatus.ADMITTED
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.get(Student, graduates[1].id).status == StudentStatus.GRADUATED
