"""``flask xueji …``: database, diagrams, demo data and the timer tick."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import Connection

import engine
from jobs import periodic
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
    click.echo(f"处理了 {ticked.cases} 个到期业务，执行了 {ticked.promotions} 次升级")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
