"""Parent verification (F-59) and the portal's rules (F-62): registration codes, parent accounts and their sign-in,
the photo of the signed 学生学籍信息确认表, the corrections parents ask for, and the class's upload statistics.

Codes and passwords are kept as digests only: a registration code is shown once, to the teacher who issues it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import audit
from models.attachment import SIGNATURES
from models.base import utcnow
from models.errors import DomainError
from models.family import (
    ConfirmationForm,
    FamilyRequest,
    ParentAccount,
    ParentLink,
    RequestState,
    UploadedBy,
)
from models.jurisdiction import students_visible_to
from models.org import SchoolClass
from models.student import Guardian, Student, StudentStatus
from models.user import User

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a parent meeting
CODE_LENGTH = 10  # 50 bits, tried only through the rate-limited sign-in
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {t for t in SIGNATURES.values() if t.startswith("image/")}
PHONE = re.compile(r"^1\d{10}$")
MIN_PASSWORD = 8

# F-59: changes of these six need proof and go through the key-data change (F-18); request field → record column.
KEY_FIELDS = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "ethnicity": "民族",
    "id_doc_type": "身份证件类型",
    "id_doc_number": "身份证件号",
}
# What a parent may change itself, once the school confirms (F-62: "change some non-key information").
OPEN_FIELDS = {
    "guardian1_phone": "第一监护人联系电话",
    "guardian2_phone": "第二监护人联系电话",
    "current_address": "现住址",
    "home_address": "家庭地址",
}
FIELD_LABELS = {**KEY_FIELDS, **OPEN_FIELDS}


def digest(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").replace(" ", "").encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def form_of(session: Session, student: Student) -> ConfirmationForm:
    """The student's confirmation form row, made with its upload code the first time it is asked for."""
    form = session.get(ConfirmationForm, student.id)
    if form is None:
        while True:
            code = f"{secrets.randbelow(10**8):08d}"
            if session.scalar(select(ConfirmationForm.student_id).where(ConfirmationForm.upload_code == code)) is None:
                break
        form = ConfirmationForm(student_id=student.id, upload_code=code)
        session.add(form)
        session.flush()
    return form


def issue_code(session: Session, actor: User, student: Student, code: str | None = None) -> str:
    """发放 / 重置注册码: a new code for the student; whoever bound with the old one is unbound (the teacher resets
    a code that somebody else used)."""
    code = code or new_code()
    form = form_of(session, student)
    had = form.registration_code_digest is not None
    form.registration_code_digest, form.code_issued_at = digest(code), utcnow()
    links = session.scalars(select(ParentLink).where(ParentLink.student_id == student.id)).all()
    for link in links:
        session.delete(link)
    unbound = len(links)
    audit.record(
        session, actor=actor, action="family.code_reset" if had else "family.code_issue", entity="student",
        entity_id=student.id, before={}, after={"unbound": unbound},
    )  # fmt: skip
    session.flush()
    return code


def _guardian_phones(session: Session, student_id: int) -> set[str]:
    return set(session.scalars(select(Guardian.phone).where(Guardian.student_id == student_id)))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD or password.isdigit() or password.isalpha():
        raise DomainError(f"密码至少{MIN_PASSWORD}位，且须同时包含字母和数字")


def register(session: Session, *, code: str, phone: str, password: str) -> ParentAccount:
    """Bind a child to the parent with this phone number (creating the account the first time). The phone must be
    one of the child's family members' numbers on record; an existing account proves itself by its password."""
    phone = phone.strip()
    form = session.scalar(select(ConfirmationForm).where(ConfirmationForm.registration_code_digest == digest(code)))
    if form is None or phone not in _guardian_phones(session, form.student_id):
        raise DomainError("注册码或手机号不正确（手机号须为学籍中登记的家庭成员联系电话）")
    account = session.scalar(select(ParentAccount).where(ParentAccount.phone == phone))
    if account is None:
        _check_password(password)
        account = ParentAccount(phone=phone, password_hash=generate_password_hash(password))
        session.add(account)
        session.flush()
    elif not check_password_hash(account.password_hash, password):
        raise DomainError("该手机号已注册，请输入已设置的密码以绑定新的子女")
    if (
        session.scalar(
            select(ParentLink.id).where(ParentLink.parent_id == account.id, ParentLink.student_id == form.student_id)
        )
        is None
    ):
        session.add(ParentLink(parent_id=account.id, student_id=form.student_id))
    session.flush()
    return account


@dataclass(frozen=True)
class Throttle:
    max_failures: int
    lock_minutes: int


def authenticate(session: Session, phone: str, password: str, now: datetime, throttle: Throttle) -> ParentAccount:
    """The parent's sign-in; the same lock as staff accounts after repeated failures."""
    account = session.scalar(select(ParentAccount).where(ParentAccount.phone == phone.strip()))
    if (
        account is not None
        and account.locked_until is not None
        and account.locked_until.replace(tzinfo=now.tzinfo) > now
    ):
        raise DomainError("登录失败次数过多，账号已暂时锁定，请稍后再试")
    if account is None or not check_password_hash(account.password_hash, password):
        if account is not None:
            account.failed_logins += 1
            if account.failed_logins >= throttle.max_failures:
                account.locked_until, account.failed_logins = now + timedelta(minutes=throttle.lock_minutes), 0
            _trail(session, "parent.login.failed", account.id)
        raise DomainError("手机号或密码错误")
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    _trail(session, "parent.login", account.id)
    return account


def _trail(session: Session, action: str, account_id: int) -> None:
    """Parents' sign-ins in the audit trail beside the staff's (``login``, ``login.failed``)."""
    audit.record(session, actor=None, action=action, entity="parent_account", entity_id=account_id, before={}, after={})
    session.flush()


def change_password(session: Session, account: ParentAccount, new: str) -> None:
    _check_password(new)
    account.password_hash, account.must_change_password = generate_password_hash(new), False
    session.flush()


def reset_password(session: Session, actor: User, phone: str) -> str:
    """重置家长密码: only for a parent of a student the teacher sees; returns the one-time password to hand over."""
    account = session.scalar(select(ParentAccount).where(ParentAccount.phone == phone.strip()))
    visible = students_visible_to(actor).with_only_columns(Student.id)
    if (
        account is None
        or session.scalar(
            select(ParentLink.id).where(ParentLink.parent_id == account.id, ParentLink.student_id.in_(visible))
        )
        is None
    ):
        raise DomainError("没有找到您所管理学生的家长使用该手机号注册的账号")
    temporary = new_code()[:4].lower() + f"{secrets.randbelow(10**4):04d}"
    account.password_hash, account.must_change_password = generate_password_hash(temporary), True
    account.failed_logins, account.locked_until = 0, None
    audit.record(
        session, actor=actor, action="family.password_reset", entity="parent_account", entity_id=account.id,
        before={}, after={},
    )  # fmt: skip
    session.flush()
    return temporary


def check_upload(data: bytes, filename: str, *, allow_pdf: bool = False) -> str:
    """The content type of an uploaded photo (JPG or PNG by its first bytes, at most 5 MB), else a clear refusal."""
    content_type = next((t for signature, t in SIGNATURES.items() if data.startswith(signature)), None)
    if not data:
        raise DomainError("请选择要上传的文件")
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(f"文件「{filename}」超过5MB（实际{len(data) // 1024}K），请压缩后重新上传")
    if content_type is None or (content_type not in PHOTO_TYPES and not allow_pdf):
        kinds = "JPG、PNG 或 PDF" if allow_pdf else "JPG 或 PNG"
        raise DomainError(f"文件「{filename}」格式不支持，请上传 {kinds} 格式的照片")
    return content_type


def upload_form(
    session: Session, student: Student, data: bytes, filename: str, *, parent: ParentAccount | None = None,
    teacher: User | None = None,
) -> ConfirmationForm:  # fmt: skip
    """The photo of the signed form, by a parent or by the homeroom teacher on the parent's behalf (代传)."""
    content_type = check_upload(data, filename)
    form = form_of(session, student)
    form.photo, form.photo_type, form.uploaded_at = data, content_type, utcnow()
    form.uploaded_by = UploadedBy.TEACHER if teacher is not None else UploadedBy.PARENT
    form.uploaded_by_user_id = teacher.id if teacher is not None else None
    form.uploaded_by_parent_id = parent.id if parent is not None else None
    audit.record(
        session, actor=teacher, action="family.form_upload", entity="student", entity_id=student.id, before={},
        after={"by": form.uploaded_by.value, "parent_id": parent.id if parent else None, "bytes": len(data)},
    )  # fmt: skip
    session.flush()
    return form


def form_by_upload_code(session: Session, actor: User, upload_code: str) -> Student:
    """代传: the student whose form carries this 上传号, among the students the teacher sees."""
    student = session.scalar(
        students_visible_to(actor)
        .join(ConfirmationForm, ConfirmationForm.student_id == Student.id)
        .where(ConfirmationForm.upload_code == upload_code.strip())
    )
    if student is None:
        raise DomainError(f"您所管理的学生中没有上传号为「{upload_code.strip()}」的确认表")
    return student


def current_value(student: Student, field: str) -> str:
    if field in ("guardian1_phone", "guardian2_phone"):
        seq = int(field[8])
        return next((g.phone for g in student.guardians if g.seq == seq), "")
    if field in ("current_address", "home_address"):
        return str((student.profile or {}).get(field, ""))
    value = getattr(student, field)
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def request_change(
    session: Session, parent: ParentAccount, student: Student, change: tuple[str, str], proof: tuple[bytes, str] | None
) -> FamilyRequest:
    """A parent's correction: waits for the school. A key field needs proof (户口簿 page, police certificate)."""
    field, value = change[0], change[1].strip()
    if field not in FIELD_LABELS:
        raise DomainError("请选择要更正的项目")
    if not value or len(value) > 200:  # noqa: PLR2004
        raise DomainError(f"请填写更正后的{FIELD_LABELS[field]}（不超过200字）")
    if field.endswith("_phone") and not PHONE.match(value):
        raise DomainError("联系电话应为11位手机号")
    if value == current_value(student, field):
        raise DomainError(f"更正后的{FIELD_LABELS[field]}与现有信息相同")
    open_one = select(FamilyRequest.id).where(
        FamilyRequest.student_id == student.id,
        FamilyRequest.field == field,
        FamilyRequest.state == RequestState.PENDING,
    )
    if session.scalar(open_one) is not None:
        raise DomainError(f"「{FIELD_LABELS[field]}」已有待学校确认的更正申请")
    row = FamilyRequest(
        student_id=student.id, parent_id=parent.id, field=field, old_value=current_value(student, field)[:200],
        new_value=value, key_field=field in KEY_FIELDS,
    )  # fmt: skip
    if row.key_field:
        if proof is None:
            raise DomainError(f"更正{FIELD_LABELS[field]}须上传证明材料（户口簿本人页、派出所证明等）的照片")
        row.proof_type = check_upload(proof[0], proof[1], allow_pdf=True)
        row.proof = proof[0]
    session.add(row)
    session.flush()
    return row


def apply_open_change(session: Session, actor: User, row: FamilyRequest) -> None:
    """学校确认 of a non-key correction (F-20): the value changes and the history keeps old and new."""
    student = row.student
    if row.field.endswith("_phone"):
        guardian = next((g for g in student.guardians if g.seq == int(row.field[8])), None)
        if guardian is None:
            raise DomainError("该学生没有登记此家庭成员")
        guardian.phone = row.new_value
    else:
        student.profile = {**(student.profile or {}), row.field: row.new_value}
    audit.record(
        session, actor=actor, action="家长更正信息", entity="student", entity_id=student.id,
        before={row.field: row.old_value}, after={row.field: row.new_value},
    )  # fmt: skip
    decide(row, actor, RequestState.APPLIED)
    session.flush()


def decide(row: FamilyRequest, actor: User, state: RequestState, case_id: int | None = None) -> None:
    if row.state is not RequestState.PENDING:
        raise DomainError("该更正申请已处理")
    row.state, row.decided_by_id, row.decided_at, row.case_id = state, actor.id, utcnow(), case_id


def key_change_data(row: FamilyRequest, attachment_id: int) -> dict[str, object]:
    """The start data of the key-data change flow (forms/key_data_change.RequestForm.to_task_data's shape)."""
    change = {f"new_{column}": "" for column in ("name", "sex", "birth_date", "ethnicity", "id_doc_type")}
    change |= {"new_id_doc_number": "", "new_nationality": ""}
    change[f"new_{row.field}"] = row.new_value
    reason = f"家长核对学籍信息确认表时申请更正{FIELD_LABELS[row.field]}（{row.old_value} → {row.new_value}）"
    change |= {"reason": reason, "evidence_ids": str(attachment_id)}
    return {"reason": reason, "change_request": change}


@dataclass(frozen=True)
class ClassUploads:
    """学生电子档案上传统计 of one class."""

    class_id: int
    name: str
    students: int
    uploaded: int
    by_teacher: int
    bound: int
    pending: int


def class_statistics(session: Session, actor: User) -> list[ClassUploads]:
    visible = students_visible_to(actor).where(Student.status == StudentStatus.IN_SCHOOL).subquery()
    bound = select(ParentLink.student_id).distinct().subquery()
    pending = select(FamilyRequest.student_id).where(FamilyRequest.state == RequestState.PENDING).distinct().subquery()
    rows = session.execute(
        select(
            SchoolClass.id,
            SchoolClass.name,
            func.count(visible.c.id),
            func.count(ConfirmationForm.uploaded_at),
            func.count(ConfirmationForm.uploaded_at).filter(ConfirmationForm.uploaded_by == UploadedBy.TEACHER),
            func.count(bound.c.student_id),
            func.count(pending.c.student_id),
        )
        .join(visible, visible.c.class_id == SchoolClass.id)
        .outerjoin(ConfirmationForm, ConfirmationForm.student_id == visible.c.id)
        .outerjoin(bound, bound.c.student_id == visible.c.id)
        .outerjoin(pending, pending.c.student_id == visible.c.id)
        .group_by(SchoolClass.id, SchoolClass.name)
        .order_by(SchoolClass.id)
    ).all()
    return [ClassUploads(*row) for row in rows]
