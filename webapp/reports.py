"""统计报表 (F-57): the statistics page of an organisation with drill-down to its children, charts, and every
table exported to Excel. The counts come from models/reports.py; this module only lays them out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

import jobs
from models import reports
from models.base import utcnow
from models.clock import local, local_text
from models.org import OrgLevel, OrgUnit
from models.user import Role, User
from models.workflow import ProcessVersion
from webapp import access_log, xlsx
from webapp.access import me, requires
from webapp.db import db

bp = Blueprint("reports", __name__, url_prefix="/reports")

READERS = (
    Role.SCHOOL_REGISTRAR,
    Role.COUNTY_OFFICER,
    Role.CITY_OFFICER,
    Role.PROVINCE_OFFICER,
    Role.NATIONAL_OFFICER,
)
REFRESH = "reports.refresh"


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]
    links: list[str | None]  # drill-down link of each row (its first cell), if any


def _percent(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}%" if whole else "—"


STANDARD_COLUMNS = [*reports.SCHOOL_STRUCTURE, *[(m.key, m.label) for m in reports.IN_SCHOOL_METRICS]]


def _standard_row(row: reports.Row) -> list[Any]:
    students = row.get("students")
    return [
        row.name,
        *[row.get(key) for key, _label in STANDARD_COLUMNS],
        _percent(row.get("complete"), students),
        row.get("photo"),
        _percent(row.get("photo"), students),
    ]


def _drill(row: reports.Row) -> str:
    return url_for("reports.index", org=row.org_id)


def standard_table(report: reports.Standard) -> Table:
    headers = ["单位", *[label for _key, label in STANDARD_COLUMNS], "信息完整率", "已采集照片", "照片采集率"]
    rows = [_standard_row(child) for child in report.children] + [_standard_row(report.total)]
    rows[-1][0] = f"{report.total.name}（合计）"
    links: list[str | None] = [_drill(child) for child in report.children] + [None]
    return Table("standard", "学籍统计表（在校生）", headers, rows, links)


def graduates_table(report: reports.Standard) -> Table:
    destinations = report.destinations
    every = [*report.children, report.total]
    rows = [[row.name, row.get("graduated"), *[row.get(f"dest:{d}") for d in destinations]] for row in every]
    rows[-1][0] = f"{report.total.name}（合计）"
    links: list[str | None] = [_drill(child) for child in report.children] + [None]
    return Table("graduates", "毕业生及毕业去向", ["单位", "毕业生", *destinations], rows, links)


def pending_table(org: OrgUnit) -> Table:
    names = {key: name for key, name in db().execute(select(ProcessVersion.process_key, ProcessVersion.name))}
    found = reports.pending_by_age(db(), org, utcnow())
    rows = [[names.get(key, key), sum(counts), *counts] for key, counts in found]
    headers = ["业务类型", "在办合计", *[label for _days, label in reports.AGE_BUCKETS]]
    return Table("pending", "在办业务（按类型与已办时长）", headers, rows, [None] * len(rows))


def transfers_table(org: OrgUnit, year: int) -> Table:
    rows = [[f"{month}月", ins, outs] for month, ins, outs in reports.transfers_by_month(db(), org, year)]
    return Table("transfers", f"{year}年转入转出（按月）", ["月份", "转入", "转出"], rows, [None] * len(rows))


def admissions_table(org: OrgUnit, year: int) -> Table:
    rows = [
        [stage, planned, admitted, _percent(admitted, planned)]
        for stage, planned, admitted in reports.admissions_against_plan(db(), org, year)
    ]
    headers = ["学段", "招生计划数", "已录取", "完成率"]
    return Table("admissions", f"{year}年招生计划完成情况", headers, rows, [None] * len(rows))


def _org_or_404(user: User, org_id: int | None) -> OrgUnit:
    """The unit asked for, within the user's own subtree (404 elsewhere); the user's own unit by default."""
    if org_id is None:
        return user.org
    unit = (
        db()
        .scalars(select(OrgUnit).where(OrgUnit.id == org_id, OrgUnit.path.startswith(user.org.path, autoescape=True)))
        .one_or_none()
    )
    if unit is None:
        abort(404)
    return unit


def _year() -> int:
    year = request.args.get("year", type=int)
    return year if year and 2000 <= year <= 2100 else local(utcnow()).year


def _tables(org: OrgUnit, year: int) -> tuple[reports.Standard, dict[str, Table]]:
    report = reports.standard(db(), org)
    tables = [
        standard_table(report),
        graduates_table(report),
        pending_table(org),
        transfers_table(org, year),
        admissions_table(org, year),
    ]
    return report, {table.key: table for table in tables}


def _charts(report: reports.Standard, tables: dict[str, Table]) -> dict[str, str]:
    """What static/reports.js draws, as JSON in data attributes (the CSP allows no inline script)."""
    shown = report.children or [report.total]
    students = {
        "kind": "bar",
        "title": "在校生（按单位、性别）",
        "categories": [row.name for row in shown],
        "series": [{"name": "男", "data": [row.get("sex:1") for row in shown]}]
        + [{"name": "女", "data": [row.get("sex:2") for row in shown]}],
        "links": [_drill(row) for row in report.children],
    }
    total = report.total
    groups = {
        "kind": "bar",
        "title": "重点群体",
        "categories": ["少数民族", "随迁子女", "留守儿童", "享受一补", "残疾", "问题学籍"],
        "series": [
            {
                "name": "人数",
                "data": [
                    total.get(k) for k in ("minority", "migrant", "left_behind", "subsidy", "disabled", "problem")
                ],
            }
        ],
        "links": [],
    }
    pending = tables["pending"]
    ages = {
        "kind": "bar",
        "title": "在办业务（按类型）",
        "categories": [row[0] for row in pending.rows],
        "series": [{"name": "在办", "data": [row[1] for row in pending.rows]}],
        "links": [],
    }
    return {
        key: json.dumps(value, ensure_ascii=False)
        for key, value in (("students", students), ("groups", groups), ("pending", ages))
    }


def _trail(user: User, org: OrgUnit) -> list[OrgUnit]:
    """The units from the user's own down to ``org`` (the drill-down's way back)."""
    ids = org.ancestor_ids()
    ids = ids[ids.index(user.org_id) :]
    units = {u.id: u for u in db().scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    return [units[i] for i in ids]


@bp.get("/")
@requires(*READERS)
def index() -> ResponseReturnValue:
    user = me()
    org = _org_or_404(user, request.args.get("org", type=int))
    year = _year()
    report, tables = _tables(org, year)
    return render_template(
        "reports/index.html",
        org=org,
        year=year,
        trail=_trail(user, org),
        tables=list(tables.values()),
        charts=_charts(report, tables),
        refreshed=local_text(reports.refreshed_at(db())),
        may_refresh=user.has_role(Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER),
        is_school=org.level == OrgLevel.SCHOOL,
    )


@bp.get("/export/<key>")
@requires(*READERS)
def export(key: str) -> ResponseReturnValue:
    user = me()
    org = _org_or_404(user, request.args.get("org", type=int))
    _report, tables = _tables(org, _year())
    table = tables.get(key)
    if table is None:
        abort(404)
    access_log.exported("统计报表导出", len(table.rows), purpose=f"{org.name}·{table.title}")
    return xlsx.download(f"{org.name}{table.title}", table.headers, table.rows, by=user)


@bp.post("/refresh")
@requires(Role.PROVINCE_OFFICER, Role.NATIONAL_OFFICER)
def refresh() -> ResponseReturnValue:
    """重新统计: the recount as a job (minutes on a province); one per minute however often it is asked."""
    minute = local(utcnow()).strftime("%Y%m%d%H%M")
    job_id, created = jobs.create(
        db(), key=f"{REFRESH}:{minute}", kind=REFRESH, title="重新统计学籍报表", actor=me(), params={}
    )
    if created:
        jobs.submit(job_id)
    flash("已开始重新统计，完成后本页显示新的统计时间。", "info")
    return redirect(url_for("jobs.show", job_id=job_id))
