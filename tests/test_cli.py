"""The ``flask xueji`` commands: publishing is idempotent, the tick reports what it fired, demo data loads once."""

from __future__ import annotations

from sqlalchemy import func, select

from models.org import OrgUnit
from models.workflow import ProcessVersion


def test_publish_twice_creates_no_new_version(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["xueji", "publish"])
    second = runner.invoke(args=["xueji", "publish"])
    assert first.exit_code == 0 and "mistaken_deletion: 第1版" in first.output
    assert second.output == first.output
    versions = select(func.count()).select_from(ProcessVersion).where(ProcessVersion.process_key == "mistaken_deletion")
    assert session.scalar(versions) == 1


def test_tick_reports_due_cases(app):
    result = app.test_cli_runner().invoke(args=["xueji", "tick"])
    assert result.exit_code == 0 and "处理了 0 个到期业务" in result.output


def test_demo_is_not_loaded_twice(app, session):
    units = session.scalar(select(func.count()).select_from(OrgUnit))
    result = app.test_cli_runner().invoke(args=["xueji", "demo"])
    assert result.exit_code == 0 and "演示数据已存在，跳过" in result.output
    assert session.scalar(select(func.count()).select_from(OrgUnit)) == units
