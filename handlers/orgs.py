"""组织机构与学校 (F-01, F-02): a province's cities, counties and schools imported from a workbook in the layout of
the national school code list, and edited afterwards.

The workbook has a sheet 学校 (one row per school, with its city and county) and an optional sheet 校区. The dry
run checks every row and says what would be created or changed; the import then writes the rows without errors
(each row is a school: it goes in whole or not at all) and gives the failed rows back as a workbook with the
reason beside each, to fix and import again. Importing again updates by code (学校标识码, 行政区划代码) and never
duplicates. Formulas are not evaluated: calamine reads the cached values only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, contains_eager

from handlers.workbooks import new_workbook
from models import audit
from models.errors import DomainError
from models.org import Campus, OrgLevel, OrgUnit, School, Stage
from models.user import User

SCHOOL_SHEET, CAMPUS_SHEET = "学校", "校区"
# (key, header) in the order of the national school code list's columns that XueJi keeps.
SCHOOL_COLUMNS = (
    ("school_code", "学校标识码"),
    ("name", "学校名称"),
    ("school_type", "办学类型"),
    ("stages", "学段"),
    ("city_code", "地市行政区划代码"),
    ("city_name", "地市名称"),
    ("county_code", "区县行政区划代码"),
    ("county_name", "区县名称"),
    ("address", "学校地址"),
    ("name_en", "学校英文名称"),
)
CAMPUS_COLUMNS = (
    ("school_code", "学校标识码"),
    ("name", "校区名称"),
    ("address_code", "校区地址代码"),
    ("manager", "校区负责人"),
    ("phone", "联系电话"),
)
REQUIRED = {"school_code", "name", "school_type", "county_code", "county_name"}
# 办学类型 (§3.2) → the stages it teaches; special-education and 工读 schools name theirs in 学段.
SCHOOL_TYPES: dict[str, tuple[Stage, ...]] = {
    "小学": (Stage.PRIMARY,),
    "初级中学": (Stage.JUNIOR,),
    "九年一贯制学校": (Stage.PRIMARY, Stage.JUNIOR),
    "高级中学": (Stage.SENIOR,),
    "完全中学": (Stage.JUNIOR, Stage.SENIOR),
    "十二年一贯制学校": (Stage.PRIMARY, Stage.JUNIOR, Stage.SENIOR),
    "特殊教育学校": (),
    "工读学校（专门学校）": (),
}
STAGE_BY_LABEL = {stage.label: stage for stage in Stage}
MAX_ROWS = 50_000
_SPLIT = re.compile(r"[,，、/；; ]+")


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int  # Excel row number (header = 1); 0 for the whole file
    column: str
    message: str


@dataclass
class Plan:
    """What a workbook would do, row by row: the valid rows and the errors of the others."""

    schools: list[dict[str, Any]] = field(default_factory=list)
    campuses: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # every row read, for the failed workbook
    new_cities: int = 0
    new_counties: int = 0
    new_schools: int = 0
    changed_schools: int = 0
    unchanged_schools: int = 0
    new_campuses: int = 0
    changed_campuses: int = 0

    @property
    def failed_rows(self) -> int:
        return len({(e.sheet, e.row) for e in self.errors if e.row})

    @property
    def file_refused(self) -> bool:
        return any(e.row == 0 for e in self.errors)


# -- template and reading -------------------------------------------------------------------------------------


def template() -> bytes:
    """An empty workbook of the import's layout, code columns formatted as text (no leading zeros lost)."""
    book, schools = new_workbook(SCHOOL_SHEET)
    campuses = book.create_sheet(CAMPUS_SHEET)
    for sheet, columns in ((schools, SCHOOL_COLUMNS), (campuses, CAMPUS_COLUMNS)):
        sheet.append([header for _key, header in columns])
        for index, (key, _header) in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = 22 if key.endswith("name") or key == "address" else 18
            sheet.cell(row=1, column=index).font = Font(bold=True)
            for row in range(2, 202):
                sheet.cell(row=row, column=index).number_format = "@"
    schools.append(["2152010201", "示例第一小学", "小学", "小学", "520100", "贵阳市", "520102", "南明区", "", "无"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():  # a code typed as a number
        value = int(value)
    return str(value).strip() if value is not None else ""


def _read_sheet(
    book: CalamineWorkbook, name: str, columns: tuple[tuple[str, str], ...]
) -> tuple[list[dict[str, Any]], list[RowError]]:
    sheet = book.get_sheet_by_name(name)
    lines = sheet.iter_rows()
    header = [_text(value) for value in next(lines, [])]
    missing = [title for key, title in columns if title not in header and (key in REQUIRED or name == CAMPUS_SHEET)]
    if missing:
        return [], [RowError(name, 0, "", f"工作表“{name}”缺少列：{'、'.join(missing)}（请使用下载的模板）")]
    where = {key: header.index(title) for key, title in columns if title in header}
    rows = []
    for number, values in enumerate(lines, start=2):
        row = {key: _text(values[i]) if i < len(values) else "" for key, i in where.items()}
        if any(row.values()):
            rows.append({**row, "_row": number})
    if len(rows) > MAX_ROWS:
        return [], [RowError(name, 0, "", f"一次最多导入{MAX_ROWS}行")]
    return rows, []


def read(data: bytes) -> tuple[dict[str, list[dict[str, Any]]], list[RowError]]:
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except (CalamineError, ValueError, OSError):
        return {}, [RowError("", 0, "", "文件不是有效的Excel（.xlsx）文件，请使用下载的模板")]
    if SCHOOL_SHEET not in book.sheet_names:
        return {}, [RowError("", 0, "", f"文件中没有名为“{SCHOOL_SHEET}”的工作表，请使用下载的模板")]
    found: dict[str, list[dict[str, Any]]] = {}
    errors: list[RowError] = []
    for name, columns in ((SCHOOL_SHEET, SCHOOL_COLUMNS), (CAMPUS_SHEET, CAMPUS_COLUMNS)):
        if name in book.sheet_names:
            found[name], problems = _read_sheet(book, name, columns)
            errors += problems
    if not errors and not found[SCHOOL_SHEET]:
        errors.append(RowError(SCHOOL_SHEET, 0, "", "工作表“学校”中没有数据（从第2行开始填写）"))
    return found, errors


# -- the dry run ----------------------------------------------------------------------------------------------


@dataclass
class _World:
    """The province's units and the schools the file names, loaded once."""

    province: OrgUnit
    units: dict[tuple[OrgLevel, str], OrgUnit]  # (level, division code) → city or county of the province
    schools: dict[str, School]  # school code → school (anywhere: a code is unique nationwide)
    campuses: dict[tuple[int, str], Campus]
    new_school_ids: dict[str, int] = field(default_factory=dict)  # code → org id of the schools just added


def _world(session: Session, province: OrgUnit, codes: Iterable[str]) -> _World:
    units = session.scalars(
        select(OrgUnit).where(
            OrgUnit.path.startswith(province.path, autoescape=True),
            OrgUnit.level.in_([OrgLevel.CITY, OrgLevel.COUNTY]),
        )
    ).all()
    wanted = sorted(set(codes))
    schools: dict[str, School] = {}
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        query = select(School).join(School.org).options(contains_eager(School.org)).where(School.school_code.in_(chunk))
        schools.update({school.school_code: school for school in session.scalars(query)})
    ids = [school.org_id for school in schools.values()]
    campuses: dict[tuple[int, str], Campus] = {}
    for start in range(0, len(ids), 1000):
        in_chunk = select(Campus).where(Campus.school_id.in_(ids[start : start + 1000]))
        campuses.update({(c.school_id, c.name): c for c in session.scalars(in_chunk)})
    return _World(province, {(u.level, u.division_code): u for u in units}, schools, campuses)


def _code_errors(row: dict[str, Any], world: _World) -> list[tuple[str, str]]:
    province, code = world.province, row["school_code"]
    prefix = province.division_code[:2]
    if code and not (len(code) == 10 and code.isdigit()):
        return [("学校标识码", "学校标识码应为10位数字")]
    if code and code[2:4] != prefix:
        return [("学校标识码", f"学校标识码第3、4位应为本省代码{prefix}")]
    if code in world.schools and not world.schools[code].org.path.startswith(province.path):
        return [("学校标识码", "该学校标识码已属于其他省份的学校")]
    if code in world.schools and world.schools[code].closed_at is not None:  # F-50: a voided code is never reused
        return [("学校标识码", "该学校标识码所属学校已合并或撤销，标识码已作废，不能再使用")]
    return []


def _type_errors(row: dict[str, Any]) -> list[tuple[str, str]]:
    school_type = row["school_type"]
    if school_type and school_type not in SCHOOL_TYPES:
        return [("办学类型", f"办学类型应为：{'、'.join(SCHOOL_TYPES)}")]
    stages = [part for part in _SPLIT.split(row.get("stages", "")) if part]
    unknown = [part for part in stages if part not in STAGE_BY_LABEL]
    if unknown:
        return [("学段", f"学段只能是小学、初中、高中，多个用顿号分隔（不认识：{'、'.join(unknown)}）")]
    if not stages and school_type in SCHOOL_TYPES and not SCHOOL_TYPES[school_type]:
        return [("学段", f"{school_type}请填写学段（小学、初中、高中）")]
    return []


def _place_errors(row: dict[str, Any], world: _World) -> list[tuple[str, str]]:
    province = world.province
    prefix = province.division_code[:2]
    county, city = row["county_code"], row.get("city_code", "")
    if county and not (len(county) == 6 and county.isdigit() and county.startswith(prefix)):
        return [("区县行政区划代码", f"区县行政区划代码应为6位数字，且以本省代码{prefix}开头")]
    if province.is_municipality:
        return []
    if not city or not row.get("city_name"):
        return [("地市行政区划代码", "请填写地市行政区划代码和地市名称")]
    if not (len(city) == 6 and city.isdigit() and city.endswith("00") and city.startswith(prefix)):
        return [("地市行政区划代码", f"地市行政区划代码应为6位数字，以本省代码{prefix}开头、00结尾")]
    return _county_city_errors(county, city, world)


def _county_city_errors(county: str, city: str, world: _World) -> list[tuple[str, str]]:
    if county and county[:4] != city[:4]:
        return [("区县行政区划代码", "区县行政区划代码的前4位应与所属地市相同")]
    existing = world.units.get((OrgLevel.COUNTY, county))
    parent = world.units.get((OrgLevel.CITY, city))
    if existing is not None and (parent is None or existing.parent_id != parent.id):
        return [("区县行政区划代码", "该区县已在系统中属于另一个地市，请核对地市代码")]
    return []


def _school_errors(row: dict[str, Any], world: _World) -> list[tuple[str, str]]:
    """(column, message) of one school row, from the row itself and the database."""
    errors = [(title, f"请填写{title}") for key, title in SCHOOL_COLUMNS if key in REQUIRED and not row.get(key)]
    if len(row["name"]) > 100:
        errors.append(("学校名称", "学校名称不能超过100个字"))
    return errors + _code_errors(row, world) + _type_errors(row) + _place_errors(row, world)


@dataclass
class _Seen:
    """What earlier rows of the file said, so that two rows cannot disagree."""

    codes: dict[str, int] = field(default_factory=dict)  # school code → row
    counties: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # code → (name, city code, row)
    cities: dict[str, tuple[str, int]] = field(default_factory=dict)

    def errors(self, row: dict[str, Any]) -> list[tuple[str, str]]:
        code, county, city = row["school_code"], row["county_code"], row.get("city_code", "")
        errors = []
        if code in self.codes:
            errors.append(("学校标识码", f"与第{self.codes[code]}行的学校标识码重复"))
        if county in self.counties and self.counties[county][:2] != (row["county_name"], city):
            errors.append(("区县名称", f"同一区县代码在第{self.counties[county][2]}行的名称或所属地市不同"))
        if city and city in self.cities and self.cities[city][0] != row.get("city_name"):
            errors.append(("地市名称", f"同一地市代码在第{self.cities[city][1]}行的名称不同"))
        return errors

    def add(self, row: dict[str, Any]) -> None:
        self.codes[row["school_code"]] = row["_row"]
        self.counties.setdefault(row["county_code"], (row["county_name"], row.get("city_code", ""), row["_row"]))
        if row.get("city_code"):
            self.cities.setdefault(row["city_code"], (row["city_name"], row["_row"]))


def dry_run(session: Session, province: OrgUnit, data: bytes) -> Plan:
    sheets, errors = read(data)
    plan = Plan(errors=errors, raw=sheets)
    if errors:
        return plan
    rows = sheets[SCHOOL_SHEET]
    campus_rows = sheets.get(CAMPUS_SHEET, [])
    world = _world(session, province, [r["school_code"] for r in rows] + [r["school_code"] for r in campus_rows])
    seen = _Seen()
    for row in rows:
        problems = _school_errors(row, world) + seen.errors(row)
        if problems:
            plan.errors += [RowError(SCHOOL_SHEET, row["_row"], column, message) for column, message in problems]
            continue
        seen.add(row)
        row["stage_list"] = _stages(row)
        school = world.schools.get(row["school_code"])
        if school is None:
            plan.new_schools += 1
        elif _school_changes(school, row):
            plan.changed_schools += 1
        else:
            plan.unchanged_schools += 1
        plan.schools.append(row)
    if not province.is_municipality:
        plan.new_cities = sum((OrgLevel.CITY, code) not in world.units for code in seen.cities)
    plan.new_counties = sum((OrgLevel.COUNTY, code) not in world.units for code in seen.counties)
    _plan_campuses(plan, world, campus_rows, seen.codes)
    return plan


def _plan_campuses(plan: Plan, world: _World, rows: list[dict[str, Any]], codes: dict[str, int]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        problems = [(title, f"请填写{title}") for key, title in CAMPUS_COLUMNS if not row.get(key)]
        code, address = row["school_code"], row["address_code"]
        known = world.schools.get(code)
        if code and code not in codes and (known is None or not known.org.path.startswith(world.province.path)):
            problems.append(("学校标识码", "学校标识码不在“学校”工作表中，也不是本省已有的学校"))
        if address and not (len(address) == 12 and address.isdigit()):
            problems.append(("校区地址代码", "校区地址代码应为12位数字（统计用区划代码）"))
        if (code, row["name"]) in seen:
            problems.append(("校区名称", f"与第{seen[(code, row['name'])]}行重复"))
        if problems:
            plan.errors += [RowError(CAMPUS_SHEET, row["_row"], column, message) for column, message in problems]
            continue
        seen[(code, row["name"])] = row["_row"]
        campus = world.campuses.get((known.org_id, row["name"])) if known is not None else None
        if campus is None:
            plan.new_campuses += 1
        elif (campus.address_code, campus.manager, campus.phone) != (address, row["manager"], row["phone"]):
            plan.changed_campuses += 1
        plan.campuses.append(row)


def _stages(row: dict[str, Any]) -> str:
    named = [STAGE_BY_LABEL[part] for part in _SPLIT.split(row.get("stages", "")) if part]
    chosen = named or list(SCHOOL_TYPES[row["school_type"]])
    return ",".join(stage.value for stage in Stage if stage in chosen)


def _school_changes(school: School, row: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    wanted = {
        "name": row["name"],
        "school_type": row["school_type"],
        "stages": row["stage_list"],
        "address": row.get("address") or school.address,
        "name_en": row.get("name_en") or school.name_en,
        "county": row["county_code"],
    }
    current = {
        "name": school.org.name,
        "school_type": school.school_type,
        "stages": school.stages,
        "address": school.address,
        "name_en": school.name_en,
        "county": school.record_authority.division_code,
    }
    return {key: (current[key], wanted[key]) for key in wanted if current[key] != wanted[key]}


# -- the import -----------------------------------------------------------------------------------------------


def _add_units(session: Session, specs: list[tuple[OrgLevel, str, str, OrgUnit]]) -> list[OrgUnit]:
    """Units of one level in two flushes (ids come back from one batched INSERT, then the paths that hold them)."""
    units = [
        OrgUnit(level=level, name=name, division_code=code, parent_id=parent.id, path="")
        for level, name, code, parent in specs
    ]
    session.add_all(units)
    session.flush()
    for unit, (_level, _name, _code, parent) in zip(units, specs, strict=True):
        unit.path = f"{parent.path}{unit.id}/"
    return units


def _ensure_units(session: Session, plan: Plan, world: _World) -> None:
    """The plan's cities and counties: new ones added, renamed ones renamed."""
    province, units = world.province, world.units
    if not province.is_municipality:
        cities: dict[str, str] = {}
        for row in plan.schools:
            city = units.get((OrgLevel.CITY, row["city_code"]))
            if city is None:
                cities.setdefault(row["city_code"], row["city_name"])
            else:
                city.name = row["city_name"]
        made = _add_units(session, [(OrgLevel.CITY, name, code, province) for code, name in cities.items()])
        units.update({(OrgLevel.CITY, unit.division_code): unit for unit in made})
    counties: dict[str, tuple[str, OrgUnit]] = {}
    for row in plan.schools:
        parent = province if province.is_municipality else units[(OrgLevel.CITY, row["city_code"])]
        county = units.get((OrgLevel.COUNTY, row["county_code"]))
        if county is None:
            counties.setdefault(row["county_code"], (row["county_name"], parent))
        else:
            county.name = row["county_name"]
    made = _add_units(session, [(OrgLevel.COUNTY, name, code, parent) for code, (name, parent) in counties.items()])
    units.update({(OrgLevel.COUNTY, unit.division_code): unit for unit in made})


def _add_schools(session: Session, rows: list[dict[str, Any]], world: _World) -> None:
    counties = [world.units[(OrgLevel.COUNTY, row["county_code"])] for row in rows]
    made = _add_units(
        session,
        [
            (OrgLevel.SCHOOL, row["name"], row["county_code"], county)
            for row, county in zip(rows, counties, strict=True)
        ],
    )
    # Core rows, not ORM objects: School.org's back-reference would load each new unit's (empty) school first.
    values = [
        {
            "org_id": unit.id,
            "school_code": row["school_code"],
            "school_type": row["school_type"],
            "stages": row["stage_list"],
            "record_authority_id": county.id,
            "address": row.get("address", ""),
            "name_en": row.get("name_en") or "无",
        }
        for row, unit, county in zip(rows, made, counties, strict=True)
    ]
    if values:
        session.execute(insert(School), values)
    world.new_school_ids.update({row["school_code"]: unit.id for row, unit in zip(rows, made, strict=True)})


def _update_school(school: School, row: dict[str, Any], county: OrgUnit) -> None:
    school.org.name = row["name"]
    school.school_type, school.stages = row["school_type"], row["stage_list"]
    school.address = row.get("address") or school.address
    school.name_en = row.get("name_en") or school.name_en
    if school.org.parent_id != county.id:  # moved to another county: its path and record authority follow
        school.org.parent_id, school.org.division_code = county.id, county.division_code
        school.org.path = f"{county.path}{school.org_id}/"
        school.record_authority_id, school.record_authority = county.id, county


def _apply_campuses(session: Session, plan: Plan, world: _World) -> None:
    for row in plan.campuses:
        code = row["school_code"]
        school_id = world.schools[code].org_id if code in world.schools else world.new_school_ids[code]
        campus = world.campuses.get((school_id, row["name"]))
        if campus is None:
            campus = Campus(school_id=school_id, name=row["name"], address_code="", manager="", phone="")
            session.add(campus)
        campus.address_code, campus.manager, campus.phone = row["address_code"], row["manager"], row["phone"]


def commit(session: Session, actor: User, province: OrgUnit, data: bytes) -> Plan:
    """Write the valid rows of the workbook (the caller commits); returns the plan it followed."""
    if not province.path.startswith(actor.org.path):
        raise DomainError("只能导入本省的组织机构和学校")
    plan = dry_run(session, province, data)
    if plan.file_refused:
        return plan
    world = _world(session, province, [row["school_code"] for row in plan.schools + plan.campuses])
    _ensure_units(session, plan, world)
    new_rows = [row for row in plan.schools if row["school_code"] not in world.schools]
    _add_schools(session, new_rows, world)
    new_codes = {row["school_code"] for row in new_rows}
    changed: list[str] = []
    for row in plan.schools:
        school = world.schools.get(row["school_code"])
        if school is not None and _school_changes(school, row):
            _update_school(school, row, world.units[(OrgLevel.COUNTY, row["county_code"])])
            changed.append(school.school_code)
    session.flush()
    _apply_campuses(session, plan, world)
    summary = {
        "new_cities": plan.new_cities,
        "new_counties": plan.new_counties,
        "new_schools": sorted(new_codes),
        "changed_schools": changed,
        "campuses": len(plan.campuses),
        "failed_rows": plan.failed_rows,
    }
    audit.record(
        session, actor=actor, action="org.import", entity="org", entity_id=province.id, before={}, after=summary
    )
    session.flush()
    return plan


def failed_workbook(plan: Plan) -> bytes:
    """The rows that were not imported, as they were read, with the reasons in a last column: fix, import again."""
    book = Workbook()
    book.remove(book.worksheets[0])
    for name, columns in ((SCHOOL_SHEET, SCHOOL_COLUMNS), (CAMPUS_SHEET, CAMPUS_COLUMNS)):
        reasons: dict[int, list[str]] = {}
        for error in plan.errors:
            if error.sheet == name and error.row:
                reasons.setdefault(error.row, []).append(f"{error.column}：{error.message}")
        sheet = book.create_sheet(name)
        sheet.append([title for _key, title in columns] + ["错误说明"])
        for row in plan.raw.get(name, []):
            if row["_row"] in reasons:
                # Every value as a text cell: nothing read from a file goes back out as a formula.
                values = [str(row.get(key, "")) for key, _title in columns] + ["；".join(reasons[row["_row"]])]
                sheet.append(values)
                for cell in sheet[sheet.max_row]:
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- edits afterwards -----------------------------------------------------------------------------------------


def rename_unit(session: Session, actor: User, unit: OrgUnit, *, name: str, division_code: str) -> None:
    """A city's or county's name and code (a school's are edited with the school)."""
    name, division_code = name.strip(), division_code.strip()
    if not name or len(name) > 100:
        raise DomainError("请填写名称（不超过100个字）")
    if not (len(division_code) == 6 and division_code.isdigit()):
        raise DomainError("行政区划代码应为6位数字")
    before = {"name": unit.name, "division_code": unit.division_code}
    unit.name, unit.division_code = name, division_code
    after = {"name": unit.name, "division_code": unit.division_code}
    if after != before:
        audit.record(
            session, actor=actor, action="org.update", entity="org", entity_id=unit.id, before=before, after=after
        )
    session.flush()


def update_school(
    session: Session,
    actor: User,
    school: School,
    *,
    name: str,
    school_type: str,
    stages: list[Stage],
    address: str,
    name_en: str,
) -> None:
    """The province's corrections of a school's master data (F-02); the code never changes (§3.2)."""
    name, name_en = name.strip(), name_en.strip()
    if not name or len(name) > 100:
        raise DomainError("请填写学校名称（不超过100个字）")
    if school_type not in SCHOOL_TYPES:
        raise DomainError("请选择办学类型")
    if not stages:
        raise DomainError("请至少选择一个学段")
    if not name_en:
        raise DomainError("学校英文名称不能为空，没有英文名称请填“无”")

    def snapshot() -> dict[str, Any]:
        return {
            "name": school.org.name,
            "school_type": school.school_type,
            "stages": school.stages,
            "address": school.address,
            "name_en": school.name_en,
        }

    before = snapshot()
    school.org.name, school.school_type = name, school_type
    school.stages = ",".join(stage.value for stage in Stage if stage in stages)
    school.address, school.name_en = address.strip()[:200], name_en[:200]
    after = snapshot()
    if after != before:
        audit.record(
            session,
            actor=actor,
            action="school.update",
            entity="org",
            entity_id=school.org_id,
            before=before,
            after=after,
        )
    session.flush()
