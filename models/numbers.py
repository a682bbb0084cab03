"""National student numbers (§3.6, F-14): L on approval, G = "G" + ID number, J with a MOD 11-2 check digit."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from models.student import Student

_random = random.SystemRandom()


def _taken(session: Session, number: str) -> bool:
    return session.scalar(select(Student.id).where(Student.national_student_id == number)) is not None


def new_l_number(session: Session, division_code: str, birth_date: date) -> str:
    """``L`` + 6-digit division code of the school + birth date + 4 random digits, unique."""
    for _ in range(50):
        number = f"L{division_code}{birth_date:%Y%m%d}{_random.randrange(10000):04d}"
        if not _taken(session, number):
            return number
    raise RuntimeError("no free L number for this area and birth date")


def g_number(id_doc_number: str) -> str:
    return "G" + id_doc_number


def new_j_number(session: Session, division_code: str, birth_date: date) -> str:
    """``J`` + area + birth date + 3-digit sequence per (area, birth date) + MOD 11-2 check digit (Q-04)."""
    prefix = f"J{division_code}{birth_date:%Y%m%d}"
    last = session.scalar(
        select(func.max(func.substr(Student.national_student_id, 16, 3))).where(
            Student.national_student_id.startswith(prefix)
        )
    )
    seq = int(last) + 1 if last else 1
    body = f"{division_code}{birth_date:%Y%m%d}{seq:03d}"
    return f"J{body}{ric.calc_check_digit(body + '0')}"
