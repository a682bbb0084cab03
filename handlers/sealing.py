"""Electronic seals (F-61): an organisation's key signs the PDFs the system generates (PAdES signature made by
pyHanko over the whole file), the seal image is drawn by the PDF's own builder at a fixed place on the first page
(so the signature covers it: 位置锁定), and ``verify`` tells whether a file is unchanged since sealing and whose
seal it carries. The certificates are self-signed, one per organisation, and trusted because this system keeps
them (a real CA is optional, F-61 Rec.).
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from io import BytesIO

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import audit

with warnings.catch_warnings():
    # pyHanko imports cryptography's DSA types, deprecated there; XueJi signs with ECDSA only.
    warnings.filterwarnings("ignore", "DSA is deprecated")
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleCertificateStore
from models.errors import DomainError
from models.org import OrgUnit
from models.seal_key import SealKey
from models.user import Role, User

VALID_YEARS = 10
FIELD = "XueJiSeal"


def create_key(session: Session, actor: User, org: OrgUnit, passphrase: bytes) -> SealKey:
    """印章制作: a new key and self-signed certificate for ``org``; one per organisation."""
    if not actor.has_role(Role.SECURITY_ADMINISTRATOR):
        raise DomainError("只有安全管理员可以制作电子印章")
    if session.scalar(select(SealKey.id).where(SealKey.org_id == org.id)) is not None:
        raise DomainError(f"{org.name}已有电子印章")
    # ECDSA P-256: an RSA key is checked for consistency each time it is loaded, twice per signature (a quarter second
    # each); an EC key loads at once.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.name),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{org.name}电子印章"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, str(org.id)),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    row = SealKey(
        org_id=org.id,
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(passphrase),
        ).decode(),
        fingerprint=hashlib.sha256(der).hexdigest(),
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=actor, action="seal.create", entity="org", entity_id=org.id, before={},
        after={"fingerprint": row.fingerprint},
    )  # fmt: skip
    return row


def key_for(session: Session, org: OrgUnit) -> SealKey | None:
    """The seal a document of ``org`` carries: its own, else the nearest superior's (a school without a seal of its
    own uses its county's)."""
    ids = org.ancestor_ids()
    keys = {k.org_id: k for k in session.scalars(select(SealKey).where(SealKey.org_id.in_(ids)))}
    return next((keys[i] for i in reversed(ids) if i in keys), None)


def sign(session: Session, key: SealKey, pdf: bytes, passphrase: bytes, *, reason: str, by: User | None) -> bytes:
    """Sign ``pdf`` with the organisation's key (the seal image is already drawn on it); the use is audited."""
    pkcs8 = _unlocked(key.private_key_pem, passphrase)
    certificate = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(key.certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    )
    signer = signers.SimpleSigner(
        signing_cert=certificate,
        signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
        cert_registry=SimpleCertificateStore.from_certs([certificate]),  # type: ignore[no-untyped-call]
    )
    meta = signers.PdfSignatureMetadata(field_name=FIELD, reason=reason, name=key.org.name)
    out = signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)), meta, signer=signer)
    audit.record(
        session, actor=by, action="seal.use", entity="org", entity_id=key.org_id, before={}, after={"reason": reason}
    )
    signed: bytes = out.getvalue()
    return signed


@lru_cache(maxsize=64)
def _unlocked(private_key_pem: str, passphrase: bytes) -> bytes:
    """The key decrypted once per process (the KDF takes a third of a second): a batch of prints pays it once."""
    try:
        private = serialization.load_pem_private_key(private_key_pem.encode(), passphrase)
    except ValueError as exc:  # the deployment's secret key changed since the seal was made
        raise DomainError("电子印章无法使用（部署密钥已更换），请安全管理员重新制作印章") from exc
    return private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str
    sealed_by: str = ""
    signed_at: datetime | None = None


def verify(session: Session, data: bytes) -> Verdict:
    """Whether ``data`` is a PDF sealed by one of this system's organisations and unchanged since."""
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 -- any damage to the file is the answer, not an error
        return Verdict(False, "验证失败：文件不是完整的PDF，或已被修改")
    if not signatures:
        return Verdict(False, "验证失败：该文件没有电子印章")
    signature = signatures[-1]
    fingerprint = hashlib.sha256(signature.signer_cert.dump()).hexdigest()
    key = session.scalar(select(SealKey).where(SealKey.fingerprint == fingerprint))
    if key is None:
        return Verdict(False, "验证失败：印章不是本系统的单位印章")
    trust = asn1_x509.Certificate.load(signature.signer_cert.dump())
    try:
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[trust], allow_fetching=False))
    except Exception:  # noqa: BLE001
        return Verdict(False, "验证失败：文件在盖章后被修改", key.org.name)
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    if not (status.intact and status.valid and whole):
        return Verdict(False, "验证失败：文件在盖章后被修改", key.org.name)
    return Verdict(True, "验证通过：文件自盖章后未被修改", key.org.name, status.signer_reported_dt)
