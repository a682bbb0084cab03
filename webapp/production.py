"""Production mode (XUEJI_PRODUCTION=1) refuses to start on the demo's secrets: no secret key of its own, no data
encryption keys of its own, demo mode on, or users who log in with the documented demo password."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from models import crypto
from models.user import User

MIN_SECRET_LENGTH = 32
# The demo's fixed accounts: checked whatever their number, besides any password hash shared by several users
# (the demo loader gives every user one hash).
DEMO_ACCOUNTS = ("national", "guizhou-province", "guizhou-policy", "nanming-county", "nanming-xx-registrar")


class UnsafeConfiguration(RuntimeError):
    pass


def refuse_demo_secrets(app: Flask, session: Session) -> None:
    problems = []
    key = app.config.get("SECRET_KEY_FROM_ENV") or ""
    if len(key) < MIN_SECRET_LENGTH:
        problems.append(f"XUEJI_SECRET_KEY 未设置或少于{MIN_SECRET_LENGTH}个字符 / set a secret key of your own")
    if not (app.config["DATA_KEY_PROVIDER"] or app.config["DATA_KEY_FILE"] or crypto.configured(os.environ)):
        problems.append(
            "未配置数据加密密钥（XUEJI_DATA_KEYS、XUEJI_DATA_KEY_FILE 或 XUEJI_DATA_KEY_PROVIDER）"
            " / no data encryption keys configured"
        )
    elif not app.config["ENCRYPTION"]:
        problems.append("生产环境不能关闭数据加密（XUEJI_ENCRYPTION） / encryption at rest is off")
    if app.config["DEMO_MODE"]:
        problems.append("生产环境不能开启演示模式（XUEJI_DEMO） / demo mode is on")
    if _demo_password_in_use(session, app.config["DEMO_PASSWORD"]):
        problems.append("有用户仍在使用演示密码，请先修改 / users still have the demo password")
    if _has_table(session) and session.scalar(
        select(User.id).where(User.totp_secret == app.config["DEMO_TOTP_SECRET"]).limit(1)
    ):
        problems.append("有管理员仍在使用演示的动态口令密钥，请重新绑定 / users still have the demo TOTP secret")
    if problems:
        raise UnsafeConfiguration("生产模式拒绝启动 / refusing to start in production mode: " + "；".join(problems))


def _has_table(session: Session) -> bool:
    return inspect(session.get_bind()).has_table(User.__tablename__)


def _demo_password_in_use(session: Session, demo_password: str) -> bool:
    if not _has_table(session):
        return False  # not migrated yet (``flask xueji init-db`` is about to)
    shared = select(User.password_hash).group_by(User.password_hash).having(func.count() > 1)
    named = select(User.password_hash).where(User.username.in_(DEMO_ACCOUNTS))
    hashes = set(session.scalars(shared.limit(100))) | set(session.scalars(named))
    return any(check_password_hash(h, demo_password) for h in hashes)
