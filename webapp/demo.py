"""Demo data: 贵州省, two cities, four counties, twelve schools over three stages, classes, students, users;
and 北京市 (a municipality: districts directly under the province) with two districts and two primary schools,
the other side of cross-province transfers (F-31, F-32).

Everything is generated from a seed, so two runs give the same people. ID numbers follow GB 11643 and are
checked with python-stdnum; names are drawn from common surnames and given-name characters.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent
from werkzeug.security import generate_password_hash

from handlers import families
from models.business_calendar import BusinessPeriod, PeriodKind
from models.calendar import AUTUMN, SPRING, AcademicYear, Term
from models.family import ParentAccount, ParentLink
from models.holidays import Holiday
from models.org import Cohort, OrgLevel, OrgUnit, School, SchoolClass, Stage, add_unit
from models.student import Guardian, Student, StudentStatus
from models.user import ADMINISTRATOR_ROLES, Role, User, UserRole
from webapp.config import Config


@dataclass(frozen=True)
class CountySeed:
    code: str
    name: str
    slug: str


@dataclass(frozen=True)
class CitySeed:
    code: str
    name: str
    slug: str
    counties: tuple[CountySeed, ...]


PROVINCE = ("520000", "贵州省", "guizhou")
CITIES = (
    CitySeed(
        "520100",
        "贵阳市",
        "guiyang",
        (CountySeed("520102", "南明区", "nanming"), CountySeed("520103", "云岩区", "yunyan")),
    ),
    CitySeed(
        "520300",
        "遵义市",
        "zunyi",
        (CountySeed("520325", "道真仡佬族苗族自治县", "daozhen"), CountySeed("520328", "湄潭县", "meitan")),
    ),
)
# (slug, category code of 学校标识码, school type, stage, name suffix, age at entry)
SCHOOL_KINDS = (
    ("xx", "21", "小学", Stage.PRIMARY, "第一小学", 6),
    ("cz", "31", "初级中学", Stage.JUNIOR, "第一中学", 12),
    ("gz", "34", "高级中学", Stage.SENIOR, "高级中学", 15),
)
# The second province: a municipality, so its districts hang directly under it (§2.1).
BEIJING = ("110000", "北京市", "beijing")
BEIJING_DISTRICTS = (CountySeed("110101", "东城区", "dongcheng"), CountySeed("110102", "西城区", "xicheng"))
BEIJING_STUDENTS_PER_CLASS = 1
GRADE_NAMES = {Stage.PRIMARY: "一二三四五六", Stage.JUNIOR: "七八九", Stage.SENIOR: ("高一", "高二", "高三")}

DEMO_SHOWCASE = [
    "nanming-xx-registrar",
    "nanming-xx-teacher",
    "nanming-county",
    "yunyan-county",
    "guiyang-city",
    "guizhou-province",
    "guizhou-policy",
    "guizhou-admin",
    "guizhou-security",
    "guizhou-audit",
    "nanming-admin",
    "dongcheng-xx-registrar",
    "dongcheng-county",
    "beijing-province",
]

# 家长服务平台 (F-62): the first pupil of 南明第一小学's homeroom class has a parent already registered (phone and the
# demo password); the second has a registration code issued and no parent yet (register with it and the phone).
DEMO_PARENT_PHONE, DEMO_NEW_PARENT_PHONE, DEMO_REGISTRATION_CODE = "13800000001", "13800000002", "DEMO2026JZ"
DEMO_PARENTS = [
    (DEMO_PARENT_PHONE, "密码 " + Config.DEMO_PASSWORD, "已注册，已绑定子女"),
    (DEMO_NEW_PARENT_PHONE, "注册码 " + DEMO_REGISTRATION_CODE, "未注册：在「用注册码注册」页绑定子女"),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
BOY_CHARS = "浩宇轩然子杰俊博文涛鹏明辉强磊晨阳睿泽铭凯航天成家豪志伟鑫翔嘉乐思远"
GIRL_CHARS = "欣怡梓涵雨萱诗琪佳颖雅静婷悦可馨梦瑶晓雪丽娜嘉慧思彤若依紫琳婉清"
ETHNICITIES = ("汉族",) * 12 + ("苗族", "布依族", "侗族", "土家族", "仡佬族", "彝族")
CLASSES_PER_COHORT = 2
COHORTS_PER_SCHOOL = 3


def _code_valid_in(division: str, year: int) -> bool:
    try:
        ric.get_birth_place(f"{division}{year}0101000")
    except InvalidComponent:
        return False
    return True


def already_loaded(session: Session) -> bool:
    return session.scalar(select(OrgUnit.id).limit(1)) is not None


class _Builder:
    def __init__(self, session: Session, rng: random.Random, password_hash: str) -> None:
        self.session, self.rng, self.password_hash = session, rng, password_hash
        self.used_ids: set[str] = set()
        self.users = 0

    def org(self, level: OrgLevel, name: str, code: str, parent: OrgUnit | None) -> OrgUnit:
        return add_unit(self.session, level, name, code, parent)

    def user(self, username: str, full_name: str, org: OrgUnit, *roles: Role) -> User:
        user = User(
            username=username,
            full_name=full_name,
            password_hash=self.password_hash,
            org_id=org.id,
            role_rows=[UserRole(role=role) for role in roles],
        )
        if set(roles) & ADMINISTRATOR_ROLES:
            # Administrators sign in with a second factor: the demo's is the documented secret (Config), enrolled
            # already, so that the demo and the tests can compute the code (the demo's login page shows it).
            user.totp_secret, user.totp_confirmed_at = Config.DEMO_TOTP_SECRET, datetime.now(UTC)
        self.session.add(user)
        self.users += 1
        return user

    def id_number(self, division: str, born: date, male: bool) -> str:
        """A GB 11643 number; python-stdnum also checks the division code existed in the birth year, so
        parents born before a county got its code are registered in the city (e.g. 贵阳市 520100) instead."""
        if not _code_valid_in(division, born.year):
            division = {"52": "520100"}.get(division[:2], division[:4] + "00")
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"{division}{born:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")  # the function ignores the last character
            if number not in self.used_ids:
                self.used_ids.add(number)
                return ric.validate(number)

    def name(self, surname: str, male: bool) -> str:
        chars = BOY_CHARS if male else GIRL_CHARS
        return surname + "".join(self.rng.choice(chars) for _ in range(self.rng.choice((1, 2))))


def load(session: Session, *, students: int = 2000, seed: int = 2026, password: str, today: date | None = None) -> str:
    """Create the demo world in one transaction and return a one-line summary."""
    today = today or date.today()
    rng = random.Random(seed)  # noqa: S311 -- reproducible demo people, not secrets
    b = _Builder(session, rng, generate_password_hash(password))
    national = b.org(OrgLevel.NATIONAL, "教育部", "000000", None)
    b.user("national", "国家级管理员", national, Role.NATIONAL_OFFICER)
    province = b.org(OrgLevel.PROVINCE, PROVINCE[1], PROVINCE[0], national)
    b.user(f"{PROVINCE[2]}-province", "省级学籍主管", province, Role.PROVINCE_OFFICER)
    b.user(f"{PROVINCE[2]}-policy", "省级流程管理员", province, Role.POLICY_OFFICER)
    b.user(f"{PROVINCE[2]}-admin", "省级系统管理员", province, Role.ADMINISTRATOR)
    b.user(f"{PROVINCE[2]}-security", "省级安全管理员", province, Role.SECURITY_ADMINISTRATOR)
    b.user(f"{PROVINCE[2]}-audit", "省级安全审计员", province, Role.AUDIT_ADMINISTRATOR)
    start_year = today.year if today.month >= 9 else today.year - 1
    _holidays(session)
    _calendar(session, province, start_year)
    classes: list[tuple[SchoolClass, School, Cohort, int]] = []
    for city_seed in CITIES:
        city = b.org(OrgLevel.CITY, city_seed.name, city_seed.code, province)
        b.user(f"{city_seed.slug}-city", f"{city_seed.name}学籍主管", city, Role.CITY_OFFICER)
        for county_seed in city_seed.counties:
            county = b.org(OrgLevel.COUNTY, county_seed.name, county_seed.code, city)
            b.user(f"{county_seed.slug}-county", f"{county_seed.name}学籍主管", county, Role.COUNTY_OFFICER)
            b.user(f"{county_seed.slug}-admin", f"{county_seed.name}系统管理员", county, Role.ADMINISTRATOR)
            _terms(session, county, start_year)
            for kind in SCHOOL_KINDS:
                classes += _school(b, county, county_seed, kind, start_year, province=province)
    session.flush()
    per_class = -(-students // len(classes))
    created = 0
    for school_class, school, cohort, entry_age in classes:
        for _ in range(min(per_class, students - created)):
            _student(b, school, cohort, school_class, entry_age)
            created += 1
    # Beijing draws from its own generator, so the Guizhou world stays exactly what it was.
    _families(b, password)
    bj_classes = _beijing(b, national, start_year, seed)
    created += len(bj_classes) * BEIJING_STUDENTS_PER_CLASS
    classes += bj_classes
    session.commit()
    return (
        f"已载入演示数据：{len(classes) // (CLASSES_PER_COHORT * COHORTS_PER_SCHOOL)} 所学校，"
        f"{len(classes)} 个班级，{created} 名学生，{b.users} 个用户"
    )


def _families(b: _Builder, password: str) -> None:
    teacher = b.session.scalar(select(User).where(User.username == "nanming-xx-teacher"))
    if teacher is None:
        return
    b.session.flush()
    pupils = b.session.scalars(
        select(Student)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(SchoolClass.homeroom_teacher_id == teacher.id)
        # The class's last pupils: the browser tests take a school's first pupil for cases of their own, and the
        # served demo is shared by all of them.
        .order_by(Student.id.desc())
        .limit(2)
    ).all()
    if len(pupils) < 2:  # noqa: PLR2004
        return
    for pupil, phone in zip(pupils, (DEMO_PARENT_PHONE, DEMO_NEW_PARENT_PHONE), strict=True):
        pupil.guardians[0].phone = phone
        families.issue_code(
            b.session, teacher, pupil, DEMO_REGISTRATION_CODE if phone == DEMO_NEW_PARENT_PHONE else None
        )
    account = ParentAccount(phone=DEMO_PARENT_PHONE, password_hash=generate_password_hash(password))
    b.session.add(account)
    b.session.flush()
    b.session.add(ParentLink(parent_id=account.id, student_id=pupils[0].id))


def _beijing(gz: _Builder, national: OrgUnit, start_year: int, seed: int) -> list:
    session = gz.session
    b = _Builder(session, random.Random(seed + 1), gz.password_hash)  # noqa: S311 -- reproducible demo people
    b.used_ids = gz.used_ids
    code, name, slug = BEIJING
    province = b.org(OrgLevel.PROVINCE, name, code, national)
    province.is_municipality = True
    b.user(f"{slug}-province", "北京市学籍主管", province, Role.PROVINCE_OFFICER)
    b.user(f"{slug}-admin", "北京市系统管理员", province, Role.ADMINISTRATOR)
    b.user(f"{slug}-security", "北京市安全管理员", province, Role.SECURITY_ADMINISTRATOR)
    b.user(f"{slug}-audit", "北京市安全审计员", province, Role.AUDIT_ADMINISTRATOR)
    _calendar(session, province, start_year)
    classes: list = []
    for district in BEIJING_DISTRICTS:
        county = b.org(OrgLevel.COUNTY, district.name, district.code, province)
        b.user(f"{district.slug}-county", f"{district.name}学籍主管", county, Role.COUNTY_OFFICER)
        b.user(f"{district.slug}-admin", f"{district.name}系统管理员", county, Role.ADMINISTRATOR)
        _terms(session, county, start_year)
        classes += _school(b, county, district, SCHOOL_KINDS[0], start_year, province=province)
    session.flush()
    for school_class, school, cohort, entry_age in classes:
        for _ in range(BEIJING_STUDENTS_PER_CLASS):
            _student(b, school, cohort, school_class, entry_age)
    gz.users += b.users
    return classes


# 国务院办公厅关于2026年部分节假日安排的通知 (published 4 Nov 2025): (first, last, name) of each holiday and the
# weekend days worked instead. 2027's calendar is not loaded: it is published in November of the year before and
# was not known when this table was written; the national officer enters it on the 节假日设置 page.
HOLIDAYS_2026 = (
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
)
WORKED_2026 = (
    ("2026-01-04", "元旦调休上班"),
    ("2026-02-14", "春节调休上班"),
    ("2026-02-28", "春节调休上班"),
    ("2026-05-09", "劳动节调休上班"),
    ("2026-09-20", "国庆调休上班"),
    ("2026-10-10", "国庆调休上班"),
)


def _holidays(session: Session) -> None:
    """The national holiday calendar (Q-16): one row per day off and per weekend day worked."""
    for first, last, name in HOLIDAYS_2026:
        day = date.fromisoformat(first)
        while day <= date.fromisoformat(last):
            session.add(Holiday(day=day, is_working_day=False, name=name))
            day += timedelta(days=1)
    session.add_all(Holiday(day=date.fromisoformat(day), is_working_day=True, name=name) for day, name in WORKED_2026)


def _calendar(session: Session, province: OrgUnit, start_year: int) -> None:
    # F-33: the seed freeze; the demo opens transfers the rest of the year instead of the Q-13 default
    # windows (March, June, September, December), so that a demo works on any day outside the freeze.
    session.add_all(
        [
            BusinessPeriod(
                org_id=province.id,
                business="transfer",
                kind=PeriodKind.FREEZE,
                start_md="07-21",
                end_md="08-14",
                note="暂停发起转学（教基一司函[2014]50号）",
            ),
            BusinessPeriod(
                org_id=province.id,
                business="transfer",
                kind=PeriodKind.WINDOW,
                start_md="01-01",
                end_md="12-31",
                note="演示：全年可发起",
            ),
        ]
    )
    _terms(session, province, start_year)


def _terms(session: Session, org: OrgUnit, start_year: int) -> None:
    """学期学年设置 (F-03): the province's and each county's terms, and each school's confirmed copy; the autumn term
    is current everywhere, so schools may admit into their grade-1 classes (G prerequisites)."""
    year = AcademicYear(org_id=org.id, name=f"{start_year}-{start_year + 1}", start_year=start_year)
    session.add(year)
    session.flush()
    session.add_all(
        [
            Term(
                academic_year_id=year.id,
                org_id=org.id,
                season=AUTUMN,
                start_date=date(start_year, 9, 1),
                end_date=date(start_year + 1, 1, 20),
                is_current=True,
            ),
            Term(
                academic_year_id=year.id,
                org_id=org.id,
                season=SPRING,
                start_date=date(start_year + 1, 3, 1),
                end_date=date(start_year + 1, 7, 10),
            ),
        ]
    )


def _school(
    b: _Builder, county: OrgUnit, county_seed: CountySeed, kind: tuple, start_year: int, *, province: OrgUnit
) -> list:
    slug, category, school_type, stage, suffix, entry_age = kind
    short_name = county_seed.name.removesuffix("仡佬族苗族自治县").removesuffix("区").removesuffix("县")
    org = b.org(OrgLevel.SCHOOL, f"{short_name}{suffix}", county.division_code, county)
    code = f"{category}{province.division_code[:2]}{county.division_code[2:]}{SCHOOL_KINDS.index(kind) + 1:02d}"
    school = School(
        org_id=org.id,
        school_code=code,
        school_type=school_type,
        stages=stage.value,
        record_authority_id=county.id,
        address=f"{province.name}{county_seed.name}",
    )
    b.session.add(school)
    username = f"{county_seed.slug}-{slug}"
    b.user(f"{username}-registrar", f"{org.name}学籍管理员", org, Role.SCHOOL_REGISTRAR)
    b.user(f"{username}-reviewer", f"{org.name}审核人员", org, Role.SCHOOL_REVIEWER)
    teacher = b.user(f"{username}-teacher", f"{org.name}班主任", org, Role.HOMEROOM_TEACHER)
    b.session.flush()
    _terms(b.session, org, start_year)
    made = []
    for offset in range(COHORTS_PER_SCHOOL):
        cohort = Cohort(school_id=org.id, stage=stage, cohort_year=start_year - offset)
        b.session.add(cohort)
        for number in range(1, CLASSES_PER_COHORT + 1):
            grade = GRADE_NAMES[stage][offset]
            label = f"{grade}年级({number})班" if stage is Stage.PRIMARY else f"{grade}({number})班"
            school_class = SchoolClass(
                cohort=cohort,
                class_no=f"{offset + 1}{number:02d}",
                name=label,
                homeroom_teacher_id=teacher.id if (offset, number) == (0, 1) else None,
            )
            b.session.add(school_class)
            made.append((school_class, school, cohort, entry_age))
    return made


def _student(b: _Builder, school: School, cohort: Cohort, school_class: SchoolClass, entry_age: int) -> None:
    rng = b.rng
    male = rng.random() < 0.52
    born = date(cohort.cohort_year - entry_age - 1, 9, 1) + timedelta(days=rng.randrange(365))
    surname = rng.choice(SURNAMES)
    division = b.session.get_one(OrgUnit, school.org_id).division_code
    student = Student(
        name=b.name(surname, male),
        sex="1" if male else "2",
        birth_date=born,
        ethnicity=rng.choice(ETHNICITIES),
        id_doc_type="1",
        id_doc_number=b.id_number(division, born, male),
        school_id=school.org_id,
        school_class=school_class,
        status=StudentStatus.IN_SCHOOL,
    )
    # 全国学籍号 of a student with an ID card: G + the ID number (§3.6).
    student.national_student_id = "G" + (student.id_doc_number or "")
    father_born = born - timedelta(days=365 * rng.randrange(24, 38) + rng.randrange(365))
    mother_born = born - timedelta(days=365 * rng.randrange(22, 35) + rng.randrange(365))
    student.guardians = [
        Guardian(
            seq=1,
            name=b.name(surname, True),
            relation="父亲",
            phone=f"13{rng.randrange(10**9):09d}",
            id_doc_type="1",
            id_doc_number=b.id_number(division, father_born, True),
        ),
        Guardian(
            seq=2,
            name=b.name(rng.choice(SURNAMES), False),
            relation="母亲",
            phone=f"15{rng.randrange(10**9):09d}",
            id_doc_type="1",
            id_doc_number=b.id_number(division, mother_born, False),
        ),
    ]
    b.session.add(student)
