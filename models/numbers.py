"""National student numbers (§3.6, F-14): L on approval, G = "G" + ID number, J with a MOD 11-2 check digit.

The numbers are stored sealed (a G number holds the ID number), so "is it taken" goes through the blind index and
the J sequence of an (area, birth date) is kept in a counter of its own rather than read off the numbers.
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import String, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from stdnum.cn import ric

from models.base import Base
from models.student import Student, has_national_id

_random = random.SystemRandom()


class NumberCounter(Base):
    """The last sequence number issued under a J-number prefix ("J" + area + birth date)."""

    __tablename__ = "number_counter"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    last: Mapped[int]


def taken(session: Session, number: str) -> bool:
    return session.scalar(select(Student.id).where(has_national_id(number))) is not None


def new_l_number(session: Session, division_code: str, birth_date: date) -> str:
    """``L`` + 6-digit division code of the school + birth date + 4 random digits, unique."""
    for _ in range(50):
        number = f"L{division_code}{birth_date:%Y%m%d}{_random.randrange(10000):04d}"
        if not taken(session, number):
            return number
    raise RuntimeError("no free L number for this area and birth date")


def g_number(id_doc_number: str) -> str:
    return "G" + id_doc_number


def _next_in(session: Session, prefix: str) -> int:
    """The prefix's next sequence number, by one atomic upsert (two sessions never draw the same one)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(NumberCounter)
        .values(prefix=prefix, last=1)
        .on_conflict_do_update(index_elements=[NumberCounter.prefix], set_={"last": NumberCounter.last + 1})
        .returning(NumberCounter.last)
    )
    return int(session.execute(statement).scalar_one())


def new_j_number(session: Session, division_code: str, birth_date: date) -> str:
    """``J`` + area + birth date + 3-digit sequence per (area, birth date) + MOD 11-2 check digit (Q-04)."""
    prefix = f"J{division_code}{birth_date:%Y%m%d}"
    while True:  # a J number brought in from elsewhere (transfer, import) may already hold the next sequence
        body = f"{division_code}{birth_date:%Y%m%d}{_next_in(session, prefix):03d}"
        number = f"J{body}{ric.calc_check_digit(body + '0')}"
        if not taken(session, number):
            return number
