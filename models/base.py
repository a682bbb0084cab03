"""Declarative base: one metadata, named constraints (Alembic can diff them), UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import DateTime, Enum, MetaData, Table
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}
    # Every model here maps a table (SQLAlchemy types it as any FromClause): bulk inserts and seals take it as one.
    __table__: ClassVar[Table]


def enum_column(enum_class: type[StrEnum], length: int) -> Enum:
    """A StrEnum stored as its value in a VARCHAR (no database enum type to migrate), read back as the enum."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )
