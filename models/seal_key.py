"""Electronic seals (F-61): one signing key and self-signed certificate per organisation, made by a security
administrator. A real CA is optional (domain F-61 Rec.): the verification page trusts the certificates kept here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.org import OrgUnit


class SealKey(Base):
    __tablename__ = "seal_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), unique=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    # PKCS#8, encrypted with the deployment's secret key (handlers.sealing): a copied database alone cannot seal.
    private_key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the certificate (DER)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[OrgUnit] = relationship()
