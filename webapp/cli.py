"""``flask xueji …``: database, diagrams, demo data, the timer tick and the registration import."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

import engine
import jobs
from handlers import accounts, student_import
from handlers import retention as retention_policy
from jobs import imports, keys, periodic
from models import audit, crypto, key_rotation, log_archive, reports, seals
from models.base import utcnow
from models.errors import DomainError
from models.job import Job, JobState
from models.org import OrgLevel, OrgUnit, add_unit
from models.user import Role, User, UserRole
from webapp import demo, demo_import
from webapp.access import password_policy
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
    # The statistics page reads precounted figures; count them now so that a newcomer's first look shows the demo
    # world instead of zeros until beat's first tick.
    reports.refresh(session)
    session.commit()
    click.echo(summary)


@group.command("tick")
def tick() -> None:
    """处理到期的定时事件（Celery beat 每分钟调度一次；也可手工执行）。"""
    config = current_app.config
    ticked = periodic.tick(
        db(), dormant_days=config["ACCOUNT_DORMANT_DAYS"], report_minutes=config["REPORT_REFRESH_MINUTES"]
    )
    click.echo(
        f"处理了 {ticked.cases} 个到期业务，执行了 {ticked.promotions} 次升级，封存了 {ticked.sealed} 条日志，"
        f"封存了 {ticked.dormant} 个长期未用账号{'，重新统计了报表' if ticked.reports else ''}"
    )


@group.command("retention")
@click.option("--dry-run", is_flag=True, help="只列出将被匿名化的记录，不做任何修改")
@click.option("--years", type=int, default=None, help="保存年限（默认取 XUEJI_RETENTION_YEARS）")
def retention(dry_run: bool, years: int | None) -> None:
    """到期个人信息匿名化：离校（毕业、转出、辍学、删除等）满保存年限的学籍记录，清除姓名、证件号等个人信息。"""
    years = years if years is not None else current_app.config["RETENTION_YEARS"]
    if years <= 0:
        raise click.ClickException("未设置保存年限：请设置 XUEJI_RETENTION_YEARS 或使用 --years")
    session = db()
    found = retention_policy.run(session, utcnow(), years, dry_run=dry_run)
    for item in found:
        click.echo(f"学生记录 {item.student_id}\t学校 {item.school_id}\t{item.status.label}\t离校 {item.left_on}")
    if dry_run:
        session.rollback()
        click.echo(f"试运行：将匿名化 {len(found)} 条学籍记录（离校满{years}年），未做任何修改")
    else:
        session.commit()
        click.echo(f"已匿名化 {len(found)} 条学籍记录（离校满{years}年）")


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


@group.command("rotate-key")
@click.option("--new-key", is_flag=True, help="先在密钥文件中生成新版本密钥并设为当前版本")
@click.option(
    "--cipher", type=click.Choice(crypto.CIPHERS), default=None, help="新密钥的算法（默认取 XUEJI_DATA_KEY_CIPHER）"
)
@click.option("--background", is_flag=True, help="交给后台任务（worker）执行，在任务页查看进度")
def rotate_key(new_key: bool, cipher: str | None, background: bool) -> None:
    """用当前密钥版本重新加密全部敏感字段（分批进行，不停机；读取时接受所有已配置的密钥版本）。"""
    if new_key:
        version = _add_key_version(cipher or current_app.config["DATA_KEY_CIPHER"])
        click.echo(f"已生成密钥版本 {version} 并设为当前版本")
    session = db()
    if background:
        job_id = jobs.start(
            session, key=f"crypto.rotate:{utcnow().isoformat()}", kind=keys.ROTATE, title="重新加密敏感字段",
            actor=None, params={},
        )  # fmt: skip
        click.echo(f"已提交后台任务 {job_id}（flask xueji watch-job {job_id} 查看进度）")
        return
    progress = TerminalProgress()
    try:
        done = key_rotation.rotate(session, progress)
    finally:
        progress.close()
    click.echo(f"已用密钥版本 {done.version} 重新加密 {done.rows} 行（共检查 {done.checked} 行）")


def _add_key_version(cipher: str) -> str:
    """A fresh key as the next version of the key file, made current: this process at once, the others within a
    second (they re-read the file when it changes)."""
    provider = crypto.default_provider(os.environ)
    if not isinstance(provider, crypto.FileKeyProvider):
        raise click.ClickException(
            "密钥不在密钥文件中：请在密钥服务或 XUEJI_DATA_KEYS 中增加新版本并设为当前版本后再运行"
        )
    data = json.loads(provider.path.read_text())
    version = crypto.add_key_version(data, cipher)
    crypto.write_key_file(provider.path, data)
    crypto.install(provider)
    return version


@group.command("archive-logs")
@click.option("--days", type=int, default=None, help="保留天数（至少180天，默认取 XUEJI_LOG_RETENTION_DAYS）")
def archive_logs(days: int | None) -> None:
    """把超过保留期的操作日志与访问日志移入归档文件（按月的 gzip JSON 行文件），记录截断处的链哈希，链校验照常。"""
    config = current_app.config
    wanted = days if days is not None else config["LOG_RETENTION_DAYS"]
    moved = periodic.archive_logs(db(), config["LOG_ARCHIVE_DIR"], days=wanted)
    click.echo(
        f"已归档 {moved} 条日志（早于 {max(wanted, log_archive.MIN_DAYS)} 天），归档目录 {config['LOG_ARCHIVE_DIR']}"
    )


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


@group.command("demo-import-file")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default="演示导入5000行.xlsx")
@click.option("--user", "username", default="nanming-xx-registrar", show_default=True, help="学校学籍管理员用户名")
@click.option("--rows", "count", default=demo_import.ROWS, show_default=True, help="行数")
def demo_import_file(path: Path, username: str, count: int) -> None:
    """生成演示用的学籍导入文件（默认 5000 行，其中每 250 行有一行出生日期错误，用于查看失败行报告）。"""
    session = db()
    actor = session.scalars(select(User).where(User.username == username)).one_or_none()
    if actor is None:
        raise click.ClickException(f"没有用户 {username}（先执行 flask xueji demo）")
    try:
        path.write_bytes(demo_import.workbook(session, actor, count))
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"已生成 {path}（{count} 行）：以 {username} 登录，在「学籍注册 → 学籍导入」上传")


@group.command("watch-job")
@click.argument("job_id", type=int)
@click.option("--interval", default=0.5, show_default=True, help="刷新间隔（秒）")
def watch_job(job_id: int, interval: float) -> None:
    """在终端显示后台任务的进度条（与任务页面同一数据），直到任务结束；任务失败或取消时退出码为 1。"""
    session = db()
    progress = TerminalProgress()
    try:
        while True:
            session.rollback()  # a new snapshot each time: the worker commits the progress meanwhile
            job = session.get(Job, job_id)
            if job is None:
                raise click.ClickException(f"没有任务 {job_id}")
            if job.stage or job.total:
                progress(job.done, job.total, job.stage)
            if job.finished:
                break
            time.sleep(interval)
    finally:
        progress.close()
    click.echo(f"{job.title}：{job.state.label}")
    for stage, seconds in job.result.get("stages", []):
        click.echo(f"  {stage:<10} {seconds:6.1f} 秒")
    if job.state != JobState.DONE:
        raise click.ClickException(job.error or job.state.label)
    if message := job.result.get("message"):
        click.echo(message)


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


@group.command("create-admin")
@click.option("--province-code", required=True, help="省级行政区划代码（6位），如 520000")
@click.option("--province-name", required=True, help="省级教育行政部门名称，如 贵州省")
@click.option("--username", required=True, help="省级系统管理员的用户名")
@click.option("--full-name", default="省级系统管理员", show_default=True, help="姓名")
@click.option("--municipality", is_flag=True, help="直辖市（区县直属于省级，没有地市级）")
def create_admin(province_code: str, province_name: str, username: str, full_name: str, municipality: bool) -> None:
    """新部署的第一步：建立省级单位和第一个省级系统管理员（密码在提示时输入两次，不会显示）。"""
    upgrade_database(current_app.config["DATABASE_URL"])
    session = db()
    if not (len(province_code) == 6 and province_code.isdigit() and province_code.endswith("0000")):
        raise click.ClickException("省级行政区划代码应为6位数字且以0000结尾，如 520000")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise click.ClickException(f"用户名“{username}”已存在")
    policy = password_policy()
    click.echo(policy.describe())
    password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    if (problem := policy.problem(password, username)) is not None:
        raise click.ClickException(problem)
    province = _province(session, province_code, province_name.strip(), municipality)
    user = User(
        username=username,
        full_name=full_name,
        password_hash=accounts.hash_password(password),
        org_id=province.id,
        role_rows=[UserRole(role=Role.ADMINISTRATOR)],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=None,
        action="user.create",
        entity="user",
        entity_id=user.id,
        before={},
        after={"username": username, "org_id": province.id, "roles": [Role.ADMINISTRATOR.value]},
    )
    session.commit()
    click.echo(
        f"已建立{province.name}的系统管理员 {username}。首次登录时须用手机身份验证器绑定动态口令；登录后在"
        "「系统管理 → 组织机构导入」导入学校，在「用户管理」为省级单位建立安全管理员和安全审计员（三员分立）"
    )


def _province(session: Session, code: str, name: str, municipality: bool) -> OrgUnit:
    """The province with this code, created under the national root (itself created if missing)."""
    national = session.scalar(select(OrgUnit).where(OrgUnit.level == OrgLevel.NATIONAL))
    if national is None:
        national = add_unit(session, OrgLevel.NATIONAL, "教育部", "000000", None)
    province = session.scalar(select(OrgUnit).where(OrgUnit.level == OrgLevel.PROVINCE, OrgUnit.division_code == code))
    if province is None:
        province = add_unit(session, OrgLevel.PROVINCE, name, code, national)
        province.is_municipality = municipality
    return province


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
