"""``flask xueji …``: database, diagrams, demo data, the timer tick and the registration import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Connection, select

import engine
from handlers import student_import
from jobs import imports, periodic
from models import seals
from models.base import utcnow
from models.errors import DomainError
from models.user import User
from webapp import demo
from webapp.config import ROOT
from webapp.db import db

group = AppGroup("xueji", help="XueJi 管理命令")


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def upgrade_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    config = alembic_config(url)
    bind = current_app.extensions["xueji_sessionmaker"].kw["bind"]
    if isinstance(bind, Connection):  # handed a connection (tests): its owner decides when to commit
        config.attributes["connection"] = bind
        command.upgrade(config, "head")
        return
    with bind.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


@group.command("init-db")
def init_db() -> None:
    """建立或升级数据库结构（alembic upgrade head）。"""
    upgrade_database(current_app.config["DATABASE_URL"])
    click.echo("数据库已是最新结构")


@group.command("publish")
def publish() -> None:
    """发布 processes/ 中的全部流程图（内容未变的不产生新版本）。"""
    for version in engine.publish_directory(db(), current_app.config["PROCESSES_DIR"]):
        click.echo(f"{version.process_key}: 第{version.version_no}版")


@group.command("demo")
@click.option("--students", "student_count", default=2000, show_default=True, help="学生人数")
@click.option("--seed", default=2026, show_default=True)
def load_demo(student_count: int, seed: int) -> None:
    """载入演示数据（省、市、区县、学校、班级、学生、用户），并发布流程图。已有数据时不重复载入。"""
    upgrade_database(current_app.config["DATABASE_URL"])
    session = db()
    engine.publish_directory(session, current_app.config["PROCESSES_DIR"])
    if demo.already_loaded(session):
        click.echo("演示数据已存在，跳过")
        return
    summary = demo.load(session, students=student_count, seed=seed, password=current_app.config["DEMO_PASSWORD"])
    click.echo(summary)


@group.command("tick")
def tick() -> None:
    """处理到期的定时事件（Celery beat 每分钟调度一次；也可手工执行）。"""
    ticked = periodic.tick(db())
    click.echo(f"处理了 {ticked.cases} 个到期业务，执行了 {ticked.promotions} 次升级，封存了 {ticked.sealed} 条日志")


@group.command("audit-verify")
def audit_verify() -> None:
    """校验操作日志与访问日志的哈希链：先封存新记录，再逐条重算，指出第一条被修改或删除的记录。"""
    session = db()
    for chain in seals.CHAINS:
        seals.seal(session, chain)
    session.commit()
    broken = [found for chain in seals.CHAINS if (found := seals.verify(session, chain)) is not None]
    for found in broken:
        click.echo(found.message, err=True)
    if broken:
        raise SystemExit(1)
    click.echo("操作日志与访问日志完整，未发现修改或删除")


class TerminalProgress:
    """A handler's progress as a bar in the terminal, one bar per stage (click's, with rate and time left)."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int, stage: str = "") -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.shown = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=f"{stage:<10}", show_eta=True, show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", required=True, help="导入学校的学籍管理员用户名")
@click.option("--type", "business_type", default="新生注册", show_default=True, help="注册类别")
@click.option("--commit", is_flag=True, help="检查通过后写入（不加则只检查）")
def import_students(path: Path, username: str, business_type: str, commit: bool) -> None:
    """学籍导入（检查或写入），终端显示进度条；与网页导入同一规则，全部无误才写入。"""
    session = db()
    actor = session.scalars(select(User).where(User.username == username)).one_or_none()
    if actor is None:
        raise click.ClickException(f"没有用户 {username}")
    progress = TerminalProgress()
    try:
        if commit:
            report, committed = student_import.commit(
                session,
                actor=actor,
                data=path.read_bytes(),
                business_type=business_type,
                now=utcnow(),
                progress=progress,
            )
        else:
            report = student_import.dry_run(
                session,
                actor=actor,
                data=path.read_bytes(),
                business_type=business_type,
                now=utcnow(),
                progress=progress,
            )
    except DomainError as err:
        session.rollback()
        raise click.ClickException(err.message) from err
    finally:
        progress.close()
    for error in report.errors[:20]:
        click.echo(f"第{error.row}行「{error.column}」{error.rule}：{error.message}")
    if not report.ok:
        session.rollback()
        raise click.ClickException(
            f"共 {len(report.errors)} 处错误，涉及 {len(report.failed_rows())} 行；未导入任何数据"
        )
    if not commit:
        click.echo(f"检查通过：共 {len(report.rows)} 行，可以导入（加 --commit 写入）")
        return
    session.commit()
    for refused in imports.open_problem_cases(session, actor, committed.problems):
        click.echo(refused)
    click.echo(f"导入成功：{len(committed.student_ids)}人（查重有问题{len(committed.problems)}人）")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
