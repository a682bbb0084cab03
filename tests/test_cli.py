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


def test_the_import_command_checks_then_writes_with_a_progress_bar(app, session, tmp_path):
    from models.student import Student
    from tests.test_student_import import xlsx
    from webapp.demo_rows import valid_row

    upload = tmp_path / "class.xlsx"
    upload.write_bytes(xlsx([valid_row(n) for n in range(30)]))
    runner = app.test_cli_runner()
    args = ["xueji", "import", str(upload), "--user", "nanming-xx-registrar"]
    checked = runner.invoke(args=args)
    assert checked.exit_code == 0 and "检查通过：共 30 行" in checked.output and "逐行校验" in checked.output
    done = runner.invoke(args=[*args, "--commit"])
    assert done.exit_code == 0 and "导入成功：30人" in done.output and "写入学籍库" in done.output
    assert len(session.scalars(select(Student).where(Student.name.startswith("测试"))).all()) == 30
    again = runner.invoke(args=[*args, "--commit"])
    assert again.exit_code == 1 and "该生已在本校注册" in again.output and "未导入任何数据" in again.output


def test_the_demo_import_file_checks_with_only_its_deliberately_wrong_rows_failing(app, tmp_path):
    """The demo's 5,000-row file (here 500 rows): every 250th row has an impossible birth date, nothing else."""
    upload = tmp_path / "demo.xlsx"
    runner = app.test_cli_runner()
    made = runner.invoke(args=["xueji", "demo-import-file", str(upload), "--rows", "500"])
    assert made.exit_code == 0, made.output
    checked = runner.invoke(args=["xueji", "import", str(upload), "--user", "nanming-xx-registrar"])
    assert checked.exit_code == 1 and "共 2 处错误，涉及 2 行" in checked.output, checked.output
    assert "第251行「出生日期」" in checked.output and "第501行「出生日期」" in checked.output
