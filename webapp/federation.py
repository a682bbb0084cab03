"""The province operator's view of the exchange with other provinces (issue 15 item 5): messages out and in,
dead letters with retry, the age of the oldest unsent message; and the `flask federation` commands that run
the relay and the inbox of a province deployed on its own."""

from __future__ import annotations

import logging
import time

import click
from amqp.exceptions import AMQPError
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from kombu.exceptions import KombuError
from sqlalchemy.orm import sessionmaker

from engine import exchange
from federation import broker, faults, relay
from federation.demo import keep_own_province
from federation.inbox import Inbox, retry_dead_letter
from federation.settings import NATIONAL, Settings, new_key
from models.base import utcnow
from models.clock import as_utc
from models.federation import INBOX_LABELS, DeadLetter, overview
from models.org import OrgLevel
from models.user import Role
from webapp.access import requires
from webapp.cli import load_demo
from webapp.db import db

log = logging.getLogger(__name__)
bp = Blueprint("federation", __name__, url_prefix="/federation")

operators = requires(Role.PROVINCE_OFFICER, Role.ADMINISTRATOR, at=(OrgLevel.PROVINCE,))
OUT_LABELS = {"outbox": "待发送", "sent": "已发送（消息服务器已确认）", "confirmed": "对方已生效", "failed": "发送失败"}


def configure(app: Flask) -> None:
    """A province deployed on its own: its sessions carry the province code (engine.exchange.own_province)."""
    if app.config.get("PROVINCE_CODE"):
        # Two provinces on one host (make demo-provinces) differ only by port; cookies do not tell ports apart.
        if app.config.get("SESSION_COOKIE_NAME") == "session":
            app.config["SESSION_COOKIE_NAME"] = f"session-{app.config['PROVINCE_CODE']}"
        options = dict(app.config.get("DB_SESSION_OPTIONS", {}))
        options["info"] = {**options.get("info", {}), "province_code": app.config["PROVINCE_CODE"]}
        app.config["DB_SESSION_OPTIONS"] = options
    app.cli.add_command(federation_cli)


@bp.get("/")
@operators
def index() -> ResponseReturnValue:
    view = overview(db())
    age = utcnow() - as_utc(view.oldest_unsent) if view.oldest_unsent else None
    return render_template(
        "federation/index.html",
        view=view,
        settings=Settings.from_config(current_app.config),
        province_code=current_app.config.get("PROVINCE_CODE", ""),
        oldest_minutes=int(age.total_seconds() // 60) if age else None,
        out_labels=OUT_LABELS,
        in_labels=INBOX_LABELS,
    )


@bp.post("/retry")
@operators
def retry() -> ResponseReturnValue:
    settings = Settings.from_config(current_app.config)
    letter = db().get(DeadLetter, request.form.get("letter_id", type=int) or 0)
    if settings is None:
        flash("本部署没有配置跨省消息交换（省份代码和消息服务器），不能重试", "warning")
    elif letter is None:
        flash("没有这条死信", "warning")
    else:
        with broker.connect(settings) as connection:
            retry_dead_letter(db(), settings, connection, letter)
        flash("已重新放回本省收件队列，将重新校验", "success")
    return redirect(url_for("federation.index"))


@click.group("federation", help="跨省消息交换（省级独立部署）")
def federation_cli() -> None:
    pass


@federation_cli.command("keygen", help="生成本省的 Ed25519 签名密钥对")
def keygen() -> None:
    private, public = new_key()
    click.echo(f"XUEJI_FEDERATION_KEY={private}")
    click.echo(f"# 给其他省份配置：XUEJI_FEDERATION_PEERS 中的 <本省代码>={public}")


@federation_cli.command("demo-setup", help="演示：载入演示数据，其他省份的学生标为已转出（独立部署只有本省学生在校）")
@click.option("--students", default=600, show_default=True, help="学生人数（首次载入时）")
@click.pass_context
def demo_setup(context: click.Context, students: int) -> None:
    context.invoke(load_demo, student_count=students, seed=2026)
    click.echo(f"其他省份的 {keep_own_province(db(), current_app.config['PROVINCE_CODE'])} 名学生已标为转出")


@federation_cli.command("run", help="发送发件箱并接收本省收件队列，直到中断；消息服务器断开后自动重连")
@click.option("--once", is_flag=True, help="只处理一轮（发送一次、收到空闲为止）")
def run(once: bool) -> None:
    settings = Settings.from_config(current_app.config)
    if settings is None:
        raise click.ClickException("需要 XUEJI_PROVINCE_CODE 和 XUEJI_FEDERATION_URL")
    sessions: sessionmaker = current_app.extensions["xueji_sessionmaker"]
    inbox = Inbox(settings, sessions, after_commit=faults.kill_before_ack)
    while True:
        try:
            with broker.connect(settings) as connection:
                while True:
                    with sessions() as session:
                        # Answers a case threw while the inbox died before routing them are addressed here.
                        exchange.deliver(session)
                        sent = relay.publish_outbox(session, settings, connection, **faults.relay_options())
                    inbox.drain(connection, idle=0.5, limit=500)
                    if once:
                        click.echo(f"sent {sent}, {inbox.tally}")
                        return
                    if not sent:
                        time.sleep(0.2)
        except (OSError, KombuError, AMQPError) as exc:
            if once:
                raise
            # The broker went away (restart, network): what was not committed is published or delivered again.
            log.warning("broker connection lost (%s); reconnecting", exc)
            time.sleep(1)


@federation_cli.command("national", help="全国中转：对某省的一条跨省申请异常结束或打回（XUEJI_PROVINCE_CODE=000000）")
@click.option("--to", "province", required=True, help="申请所在省份代码")
@click.option("--correlation", required=True, help="申请的关联号（案件的 correlation key）")
@click.option("--action", type=click.Choice(relay.NATIONAL_ACTIONS), required=True)
@click.option("--reason", required=True)
def national(province: str, correlation: str, action: str, reason: str) -> None:
    settings = Settings.from_config(current_app.config)
    if settings is None or settings.province != NATIONAL:
        raise click.ClickException(f"需要 XUEJI_PROVINCE_CODE={NATIONAL} 和 XUEJI_FEDERATION_URL")
    body = relay.national_action(settings, province, correlation, action, reason)
    with broker.connect(settings) as connection:
        broker.publish(connection, settings, body, province)
    click.echo(f"已发往 {province}：{action}（{correlation}）")
