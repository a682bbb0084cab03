"""Sign-in rules (issue 22 item 5; GB/T 22239-2019 8.1.4.1 identification): who needs the second factor, TOTP
enrolment with recovery codes, checking a code, and the sign-in trail.

Every sign-in, failure and sign-out is an audit event (``login``, ``login.failed``, ``logout``): the audit trail is
append-only and hash-chained (models.seals), so the record of who got in cannot be edited away either.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import audit
from models.errors import DomainError
from models.org import OrgLevel, OrgUnit
from models.user import ADMINISTRATOR_ROLES, Role, SignInPolicy, User

RECOVERY_CODES = 10
TOTP_ISSUER = "XueJi 学籍"
# The levels a province's security administrator can put under the second factor (administrators always are).
POLICY_LEVELS = (OrgLevel.PROVINCE, OrgLevel.CITY, OrgLevel.COUNTY, OrgLevel.SCHOOL)


def province_of(org: OrgUnit) -> int:
    """The province an organisation belongs to (the national ministry counts as its own)."""
    ids = org.ancestor_ids()
    return ids[1] if len(ids) > 1 else ids[0]


def policy(session: Session, province_id: int) -> dict[OrgLevel, bool]:
    rows = session.scalars(select(SignInPolicy).where(SignInPolicy.province_id == province_id)).all()
    chosen = {row.level: row.totp_required for row in rows}
    return {level: chosen.get(level, False) for level in POLICY_LEVELS}


def save_policy(session: Session, actor: User, required: Iterable[OrgLevel]) -> None:
    """The province's security administrator decides which levels sign in with a second factor."""
    if not (actor.has_role(Role.SECURITY_ADMINISTRATOR) and actor.org.level is OrgLevel.PROVINCE):
        raise DomainError("只有省级安全管理员可以修改登录安全策略")
    province_id, wanted = actor.org_id, set(required)
    before = {level.value: on for level, on in policy(session, province_id).items()}
    session.execute(delete(SignInPolicy).where(SignInPolicy.province_id == province_id))
    session.add_all(
        SignInPolicy(province_id=province_id, level=level, totp_required=level in wanted) for level in POLICY_LEVELS
    )
    after = {level.value: level in wanted for level in POLICY_LEVELS}
    audit.record(
        session,
        actor=actor,
        action="sign_in_policy.save",
        entity="org",
        entity_id=province_id,
        before=before,
        after=after,
    )
    session.flush()


def second_factor_required(session: Session, user: User) -> bool:
    """Administrators always; other users where their province's policy asks it of their level; anyone enrolled."""
    if user.roles & ADMINISTRATOR_ROLES or user.totp_confirmed_at is not None:
        return True
    return policy(session, province_of(user.org)).get(user.org.level, False)


# -- TOTP -----------------------------------------------------------------------------------------------------------


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (typed in by hand from the secret where no camera)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def _code_ok(secret: str, code: str, now: datetime) -> bool:
    # One step either side: a phone clock half a minute off still signs in.
    return pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)


def _hash(code: str) -> str:
    # Recovery codes are 80 random bits: a plain digest suffices (no dictionary to slow down).
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()


def _recovery_codes() -> list[str]:
    return [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}".upper() for _ in range(RECOVERY_CODES)]


def enroll(session: Session, user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Confirm a new secret by a first code from the app; returns the recovery codes, shown once."""
    digits = code.strip().replace(" ", "")
    if not _code_ok(secret, digits, now):
        raise DomainError("动态口令不正确，请确认手机时间准确后重新输入验证器上显示的6位数字")
    codes = _recovery_codes()
    user.totp_secret, user.totp_confirmed_at = secret, now
    user.recovery_codes = [_hash(c) for c in codes]
    audit.record(session, actor=user, action="user.totp_enroll", entity="user", entity_id=user.id, before={}, after={})
    session.flush()
    return codes


def verify_second_factor(session: Session, user: User, code: str, now: datetime) -> str | None:
    """``totp`` or ``recovery`` when the code signs the user in (a recovery code is used up), else None."""
    digits = code.strip().replace(" ", "")
    if user.totp_secret and digits.isdigit() and _code_ok(user.totp_secret, digits, now):
        return "totp"
    hashed = _hash(digits)
    if hashed in (user.recovery_codes or []):
        user.recovery_codes = [h for h in user.recovery_codes if h != hashed]
        session.flush()
        return "recovery"
    return None


# -- the trail -------------------------------------------------------------------------------------------------------


def signed_in(session: Session, user: User, address: str, now: datetime, how: str) -> tuple[str, dict[str, Any]]:
    """Record a sign-in; returns the new session token and the previous sign-in (time, address) to show."""
    previous = {"at": user.last_login_at, "address": user.last_login_address}
    user.last_login_at, user.last_login_address = now, address[:64]
    user.session_token = secrets.token_hex(16)
    audit.record(
        session,
        actor=user,
        action="login",
        entity="user",
        entity_id=user.id,
        before={},
        after={"address": address, "how": how},
    )
    session.flush()
    return user.session_token, previous


def failed(session: Session, username: str, user: User | None, address: str, reason: str) -> None:
    audit.record(
        session,
        actor=None,
        action="login.failed",
        entity="user",
        entity_id=user.id if user is not None else 0,
        before={},
        after={"username": username[:60], "address": address, "reason": reason},
    )
    session.flush()


def signed_out(session: Session, user: User, address: str, why: str) -> None:
    """``why``: 退出 (the button), 超时 (idle or absolute limit), 异地登录 (a newer session of the same account)."""
    audit.record(
        session,
        actor=user,
        action="logout",
        entity="user",
        entity_id=user.id,
        before={},
        after={"address": address, "why": why},
    )
    session.flush()
