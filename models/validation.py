"""Validation rules of §3.9 for one student record (manual entry, Excel import, key-data change).

``validate(raw)`` takes text values keyed by field identifier (§3.7/§3.8, ``m1_name`` … for the members) and
returns the normalised record and the problems found, each naming its field, rule (V-xx) and a Chinese message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from models import codes

ID_PATTERN = re.compile(r"^\d{17}[\dX]$")
NATIONAL_ID_PATTERN = re.compile(r"^[GLJ]\d{17}[\dX]$")
PHONE_PATTERN = re.compile(r"^[\d-]{7,20}$")


@dataclass(frozen=True)
class Problem:
    field: str
    rule: str
    message: str
    severity: str = "error"  # error | warning


@dataclass
class Result:
    record: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def error(self, field_name: str, rule: str, message: str) -> None:
        self.problems.append(Problem(field_name, rule, message))

    def warn(self, field_name: str, rule: str, message: str) -> None:
        self.problems.append(Problem(field_name, rule, message, "warning"))


# -- normalisers --------------------------------------------------------------------------------------------


def text(value: Any) -> str:
    """Cell or form value as trimmed half-width text (全角 → 半角)."""
    if value.__class__ is str:
        found: str = value
        if found.isascii():  # the usual cell: nothing to normalise
            return found.strip()
    elif value is None:
        return ""
    else:
        found = str(int(value) if isinstance(value, float) and value.is_integer() else value)
        if found.isascii():
            return found.strip()
    if not unicodedata.is_normalized("NFKC", found):
        found = unicodedata.normalize("NFKC", found)
    return found.strip()


def normalise_id(value: Any) -> str:
    return text(value).replace(" ", "").upper()


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value).replace("-", "").replace("/", "").replace(".", "")
    if not re.fullmatch(r"\d{8}", raw):
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


def check_id_number(number: str) -> str | None:
    """GB 11643 checks of a 居民身份证 number (V-02): format, MOD 11-2 check digit, birth date. None = valid."""
    if not ID_PATTERN.fullmatch(number):
        return "身份证件号应为18位（前17位为数字，最后一位为数字或X）"
    expected = ric.calc_check_digit(number)
    if number[-1] != expected:
        return f"身份证件号校验位错误（最后一位应为{expected}）"
    try:
        id_birth_date(number)
    except ValueError:
        return f"身份证件号中的出生日期{number[6:14]}不是有效日期"
    return None


def id_birth_date(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def id_sex(number: str) -> str:
    return "1" if int(number[16]) % 2 else "2"


def division_code(value: Any) -> str | None:
    """6 or 12 digits → 12 digits (V-07); None when malformed."""
    raw = text(value)
    if re.fullmatch(r"\d{6}", raw):
        return raw + "000000"
    return raw if re.fullmatch(r"\d{12}", raw) else None


def distance(value: Any) -> str | None:
    """V-08: a number ≥ 0 with one decimal place; integers gain ``.0``; None when invalid."""
    raw = text(value)
    if isinstance(value, float):
        raw = repr(value)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return None
    exponent = number.as_tuple().exponent  # an int for a finite number ('n', 'N' or 'F' for NaN and infinity)
    if not isinstance(exponent, int) or number < 0 or -exponent > 1:
        return None
    return f"{number:.1f}"


# -- the rules ----------------------------------------------------------------------------------------------

REQUIRED_TEXT = {
    "name": "姓名",
    "native_place": "籍贯",
    "nationality": "国籍/地区",
    "current_address": "现住址",
    "mailing_address": "通信地址",
    "home_address": "家庭地址",
}
CHOICES = {  # field → (label, allowed names, required)
    "ethnicity": ("民族", codes.ETHNICITIES, True),
    "overseas_status": ("港澳台侨外", codes.OVERSEAS, True),
    "political_status": ("政治面貌", codes.POLITICAL, False),
    "health_status": ("健康状况", codes.HEALTH, True),
    "hukou_type": ("户口性质", codes.HUKOU_TYPES, True),
    "entry_method": ("入学方式", codes.ENTRY_METHODS, True),
    "attendance_mode": ("就读方式", codes.ATTENDANCE, True),
    "student_source": ("学生来源", codes.STUDENT_SOURCES, False),
    "is_only_child": ("是否独生子女", codes.YES_NO, True),
    "had_preschool": ("是否受过学前教育", codes.YES_NO, True),
    "left_behind": ("是否留守儿童", codes.LEFT_BEHIND, True),
    "is_migrant_child": ("是否进城务工人员随迁子女", codes.YES_NO, True),
    "is_orphan": ("是否孤儿", codes.YES_NO, True),
    "is_martyr_child": ("是否烈士或优抚子女", codes.YES_NO, True),
    "inclusive_placement": ("随班就读", codes.PLACEMENTS, True),
    "disability_type": ("残疾人类型", codes.DISABILITIES, True),
    "gov_purchased_seat": ("是否由政府购买学位", codes.YES_NO, True),
    "needs_aid": ("是否需要申请资助", codes.YES_NO, True),
    "receives_subsidy": ("是否享受一补", codes.YES_NO, True),
    "commute_mode": ("上下学方式", codes.COMMUTE, True),
    "needs_school_bus": ("是否需要乘坐校车", codes.YES_NO, True),
}
MEMBER_CHOICES = {"relation": ("关系", codes.RELATIONS, True), "ethnicity": ("民族", codes.ETHNICITIES, False)}
OPTIONAL_TEXT = (
    "school_code",
    "name_pinyin",
    "former_name",
    "id_doc_validity",
    "specialty",
    "local_student_id",
    "class_seat_no",
    "email",
    "homepage",
    "grade",
    "class_no",
)
PLACEMENT_DISABILITY = {
    "视力残疾随班就读": {"视力残疾"},
    "听力残疾随班就读": {"听力残疾"},
    "智力残疾随班就读": {"智力残疾"},
    "其他残疾随班就读": {"言语残疾", "肢体残疾", "精神残疾", "多重残疾", "其他残疾"},
}


def validate(raw: Mapping[str, Any], *, today: date | None = None) -> Result:
    """All §3.9 rules on one record; the caller adds the context rules (school code, class, 查重)."""
    today = today or date.today()
    r = Result()
    for key, label in REQUIRED_TEXT.items():
        value = text(raw.get(key))
        if not value:
            r.error(key, "V-01", f"{label}不能为空")
        r.record[key] = value
    if len(r.record["name"]) > 50:
        r.error("name", "V-01", "姓名不能超过50字")
    for key in OPTIONAL_TEXT:
        r.record[key] = text(raw.get(key))
    _choices(raw, r, STUDENT_CHOICE_ENTRIES)
    _sex_birth_and_id(raw, r)
    _codes_and_numbers(raw, r, today)
    _placement(r)
    _members(raw, r)
    return r


Choice = tuple[str, str, str, frozenset[str], bool]  # key, field, label, allowed names, required


def _choice_entries(table: dict[str, tuple[str, list[str], bool]], prefix: str, whose: str = "") -> tuple[Choice, ...]:
    """``whose`` names the family member in every message ("成员1关系不能为空", not "关系不能为空")."""
    return tuple(
        (key, prefix + key, whose + label, frozenset(names), required)
        for key, (label, names, required) in table.items()
    )


STUDENT_CHOICE_ENTRIES = _choice_entries(CHOICES, "")
MEMBER_CHOICE_ENTRIES = {seq: _choice_entries(MEMBER_CHOICES, f"m{seq}_", f"成员{seq}") for seq in (1, 2)}


def _choices(raw: Mapping[str, Any], r: Result, entries: tuple[Choice, ...]) -> None:
    record = r.record
    for key, field_name, label, allowed, required in entries:
        value = text(raw.get(field_name))
        if key == "ethnicity":
            value = codes.ETHNICITY_ALIASES.get(value, value)
        if not value:
            if required:
                r.error(field_name, "V-01", f"请选择{label}")
        elif value not in allowed:
            rule = "V-09" if key == "ethnicity" else "V-01"
            r.error(field_name, rule, f"{label}「{value}」不是允许的选项")
        record[field_name] = value


def _code_of(value: str, table: dict[str, str]) -> str | None:
    if value in table:
        return value
    return next((code for code, name in table.items() if name == value), None)


def _sex_birth_and_id(raw: Mapping[str, Any], r: Result) -> None:
    sex = _code_of(text(raw.get("sex")), codes.SEXES)
    if sex is None:
        r.error("sex", "V-01", "请选择性别" if not text(raw.get("sex")) else "性别应为「男」或「女」")
    born = parse_date(raw.get("birth_date"))
    if born is None:
        empty = not text(raw.get("birth_date"))
        r.error("birth_date", "V-01", "出生日期不能为空" if empty else "出生日期应为有效日期（YYYYMMDD）")
    doc_type = _code_of(text(raw.get("id_doc_type")), codes.ID_DOC_TYPES)
    number = normalise_id(raw.get("id_doc_number"))
    r.record.update(sex=sex, birth_date=born, id_doc_type=doc_type, id_doc_number=number or None)
    if doc_type is None:
        chosen = text(raw.get("id_doc_type"))
        r.error("id_doc_type", "V-01", "身份证件类型不是允许的选项" if chosen else "请选择身份证件类型")
    elif doc_type == "1":
        _resident_id(r, number, sex, born)
    elif doc_type != "Z":
        if not number:
            r.error("id_doc_number", "V-04", "该证件类型须填写身份证件号")
        elif len(number) > 30:
            r.error("id_doc_number", "V-04", "身份证件号不能超过30个字符")


def _resident_id(r: Result, number: str, sex: str | None, born: date | None) -> None:
    """V-02 for the student: valid number, and birth date and sex equal to what the number says."""
    if not number:
        r.error("id_doc_number", "V-02", "身份证件类型为居民身份证时，身份证件号不能为空")
        return
    problem = check_id_number(number)
    if problem:
        r.error("id_doc_number", "V-02", problem)
        return
    if born and id_birth_date(number) != born:
        r.error("birth_date", "V-02", f"出生日期与身份证件号不一致（证件号中为{id_birth_date(number):%Y%m%d}）")
    if sex and id_sex(number) != sex:
        r.error("sex", "V-02", f"性别与身份证件号不一致（证件号第17位表示{codes.SEXES[id_sex(number)]}）")
    if not _known_division(number):
        r.warn("id_doc_number", "V-02", f"身份证件号前6位{number[:6]}不是已知的行政区划代码")


def _known_division(number: str) -> bool:
    return _known_division_in(number[:6], number[6:10])


@lru_cache(maxsize=4096)
def _known_division_in(division: str, year: str) -> bool:
    """python-stdnum's GB/T 2260 table: did the division code exist in the birth year?"""
    try:
        ric.get_birth_place(f"{division}{year}0101001")
    except StdnumError:
        return False
    return True


def _codes_and_numbers(raw: Mapping[str, Any], r: Result, today: date) -> None:
    for key, label in (("birthplace_code", "出生地行政区划代码"), ("hukou_code", "户口所在地行政区划代码")):
        code = division_code(raw.get(key))
        if code is None:
            r.error(key, "V-07", f"{label}应为6位或12位数字")
        elif not code.endswith("000000"):
            r.warn(key, "V-07", f"{label}后6位不是0，将按外区县学生处理")
        r.record[key] = code
    entry = text(raw.get("entry_month"))
    if not re.fullmatch(r"\d{4}(0[1-9]|1[0-2])", entry):
        r.error("entry_month", "V-11", "入学年月应为YYYYMM")
    else:
        born = r.record.get("birth_date")
        if born and entry < f"{born:%Y%m}":
            r.error("entry_month", "V-11", "入学年月不能早于出生日期")
        if entry > f"{today:%Y%m}":
            r.error("entry_month", "V-11", "入学年月不能晚于当前月份")
    r.record["entry_month"] = entry
    _phone(r, "phone", "联系电话", raw.get("phone"), required=True)
    postal = text(raw.get("postal_code"))
    if not re.fullmatch(r"\d{6}", postal):
        r.error("postal_code", "V-15", "邮政编码应为6位数字")
    r.record["postal_code"] = postal
    km = distance(raw.get("distance_km"))
    if km is None:
        r.error("distance_km", "V-08", "上下学距离应为不小于0的数字，最多保留一位小数")
    r.record["distance_km"] = km


def _phone(r: Result, key: str, label: str, value: Any, *, required: bool) -> None:
    phone = text(value)
    r.record[key] = phone
    if not phone:
        if required:
            r.error(key, "V-14", f"{label}不能为空")
        return
    if not PHONE_PATTERN.fullmatch(phone) or (phone.startswith("1") and "-" not in phone and len(phone) != 11):
        r.error(key, "V-14", f"{label}格式不正确（手机号为1开头的11位数字，固话为数字和“-”）")


def _placement(r: Result) -> None:
    placement, disability = r.record.get("inclusive_placement"), r.record.get("disability_type")
    allowed = PLACEMENT_DISABILITY.get(placement or "")
    if allowed and disability not in allowed:
        r.error("disability_type", "V-12", f"随班就读为「{placement}」时，残疾人类型应为{'、'.join(sorted(allowed))}")
    if (r.record.get("health_status") == "残疾") != (disability not in (None, "", "无残疾")):
        r.warn("health_status", "V-13", "健康状况为残疾时应填写残疾人类型，反之亦然")


def _members(raw: Mapping[str, Any], r: Result) -> None:
    student_has_id = r.record.get("id_doc_type") not in (None, "Z") and bool(r.record.get("id_doc_number"))
    valid_member_ids = 0
    guardians = 0
    for seq in (1, 2):
        p, label = f"m{seq}_", f"成员{seq}"
        name = text(raw.get(p + "name"))
        if not name:
            r.error(p + "name", "V-06", f"{label}姓名不能为空（须填写两名家庭成员）")
        r.record[p + "name"] = name
        for key in ("relation_note", "employer", "current_address", "job_title"):
            r.record[p + key] = text(raw.get(p + key))
        _choices(raw, r, MEMBER_CHOICE_ENTRIES[seq])
        code = division_code(raw.get(p + "hukou_code")) if text(raw.get(p + "hukou_code")) else ""
        if code is None:
            r.error(p + "hukou_code", "V-07", f"{label}户口所在地行政区划代码应为6位或12位数字")
        r.record[p + "hukou_code"] = code or ""
        _phone(r, p + "phone", f"{label}联系电话", raw.get(p + "phone"), required=True)
        is_guardian = text(raw.get(p + "is_guardian")) or "是"
        if is_guardian not in codes.YES_NO:
            r.error(p + "is_guardian", "V-01", f"{label}是否监护人应为「是」或「否」")
        guardians += is_guardian == "是"
        r.record[p + "is_guardian"] = is_guardian
        valid_member_ids += _member_id(raw, r, p, label)
    if guardians == 0:
        r.error("m1_is_guardian", "V-06", "两名家庭成员中至少一人应为监护人")
    if not student_has_id and valid_member_ids == 0:
        r.error("m1_id_doc_number", "V-03", "学生无身份证件号时，须至少填写一名家庭成员的身份证件类型和证件号")


def _member_id(raw: Mapping[str, Any], r: Result, p: str, label: str) -> int:
    type_text = text(raw.get(p + "id_doc_type"))
    doc_type = _code_of(type_text, codes.ID_DOC_TYPES) if type_text else None
    number = normalise_id(raw.get(p + "id_doc_number"))
    r.record[p + "id_doc_type"], r.record[p + "id_doc_number"] = doc_type, number or None
    if type_text and doc_type is None:
        r.error(p + "id_doc_type", "V-01", f"{label}身份证件类型不是允许的选项")
        return 0
    if doc_type == "1":
        if not number:
            r.error(p + "id_doc_number", "V-05", f"{label}身份证件类型为居民身份证时，身份证件号不能为空")
            return 0
        problem = check_id_number(number)
        if problem:
            r.error(p + "id_doc_number", "V-05", f"{label}{problem}")
            return 0
        return 1
    return int(bool(doc_type and doc_type != "Z" and number))


def check_national_number(number: str) -> bool:
    """V-18: ``^[GLJ]\\d{17}[\\dX]$`` (§3.6)."""
    return bool(NATIONAL_ID_PATTERN.fullmatch(number))


# -- many rows at once (imports) ----------------------------------------------------------------------------


def _quiet(done: int, total: int) -> None:
    """No progress reporting."""


RECORD_KEYS: tuple[str, ...] = ()  # the keys of every record validate() returns, in its order (set below)
Check = tuple[Any, bool]  # (normalised value, passes on its own)


def validate_rows(rows: Sequence[Mapping[str, Any]], *, today: date) -> list[Result]:
    """``validate()`` of each row, as ``validate_columns`` computes it."""
    columns = {key: [row.get(key) for row in rows] for key in {key for row in rows for key in row}}
    values, problems = validate_columns(columns, len(rows), today=today)
    ordered = [values[key] for key in RECORD_KEYS]
    return [
        Result(dict(zip(RECORD_KEYS, record, strict=True)), problems.get(i, []))
        for i, record in enumerate(zip(*ordered, strict=True))
    ]


def validate_columns(
    columns: Mapping[str, Sequence[Any]], count: int, *, today: date, progress: Callable[[int, int], None] = _quiet
) -> tuple[dict[str, list[Any]], dict[int, list[Problem]]]:
    """``validate()`` of ``count`` rows given column by column (field → its values; a missing field is empty):
    the records as columns (each key of ``RECORD_KEYS`` → its values) and the problems of each row that has any.

    Each field's normaliser and its own rule run once per distinct value of the column (a 民族 or 是/否 column
    holds a handful), then the rules that join fields run per row on the normalised values. A row that does not
    pass everything cleanly is handed to ``validate()`` itself, so every problem, its message and its order are
    validate()'s own; the fast path only ever decides that a row is clean and what its record is
    (tests/test_validation.py compares the two on a corpus of broken rows). ``progress(done, total)`` is called
    after each field and every 500 rows handed to validate() (a job's callback may raise to cancel)."""
    found = _Columns(columns, count, progress)
    found.fields()
    found.joined(today)
    problems = {}
    steps = len(found.values) + len(found.suspect)
    for done, i in enumerate(sorted(found.suspect)):
        if not done % 500:
            progress(len(found.values) + done, steps)
        result = validate({key: column[i] for key, column in columns.items()}, today=today)
        for key, value in result.record.items():
            found.values[key][i] = value
        if result.problems:
            problems[i] = result.problems
    return found.values, problems


class _Columns:
    """The normalised columns of many rows, and the rows that some rule may find fault with."""

    def __init__(self, columns: Mapping[str, Sequence[Any]], count: int, progress: Callable[[int, int], None]) -> None:
        self.columns, self.count, self.progress = columns, count, progress
        self.values: dict[str, list[Any]] = {}
        self.suspect: set[int] = set()
        self.ids: dict[str | None, bool] = {}  # ID number → passes V-02 (with a known division)

    def column(self, key: str, check: Callable[[Any], Check]) -> list[Any]:
        """The field normalised, each distinct text once; rows whose value fails its own rule become suspect."""
        self.progress(len(self.values), len(RECORD_KEYS))
        raw = self.columns.get(key) or [None] * self.count
        distinct = set(raw)
        if any(v.__class__ is not str for v in distinct):  # numbers, dates: 1 == 1.0 == True share a set entry
            checked = [check(v) for v in raw]
            self.suspect.update(i for i, (_, ok) in enumerate(checked) if not ok)
            self.values[key] = values = [value for value, _ in checked]
            return values
        memo = {v: check(v) for v in distinct}
        failing = {v for v, (_, ok) in memo.items() if not ok}
        if failing:
            self.suspect.update(i for i, v in enumerate(raw) if v in failing)
        self.values[key] = values = list(map({v: value for v, (value, _) in memo.items()}.__getitem__, raw))
        return values

    def fields(self) -> None:
        for key in REQUIRED_TEXT:
            self.column(key, _required_text)
        self.suspect.update(i for i, name in enumerate(self.values["name"]) if len(name) > 50)
        for key in OPTIONAL_TEXT:
            self.column(key, _any_text)
        for entry in STUDENT_CHOICE_ENTRIES:
            self.column(entry[1], _choice_check(entry))
        checks: dict[str, Callable[[Any], Check]] = {
            "sex": _sex_check,
            "birth_date": _birth_check,
            "id_doc_type": _doc_type_check,
        }
        checks |= {"id_doc_number": _any_id, "birthplace_code": _division_check, "hukou_code": _division_check}
        checks |= {"entry_month": _entry_check, "phone": _required_phone, "postal_code": _postal_check}
        checks |= {"distance_km": _distance_check}
        for seq in (1, 2):
            p = f"m{seq}_"
            checks |= {p + "name": _required_text}
            checks |= {p + key: _any_text for key in ("relation_note", "employer", "current_address", "job_title")}
            checks |= {entry[1]: _choice_check(entry) for entry in MEMBER_CHOICE_ENTRIES[seq]}
            checks |= {p + "hukou_code": _member_division_check, p + "phone": _required_phone}
            checks |= {p + "is_guardian": _guardian_check, p + "id_doc_type": _member_doc_type_check}
            checks |= {p + "id_doc_number": _any_id}
        for key, check in checks.items():
            self.column(key, check)

    def joined(self, today: date) -> None:
        """The rules that join fields, on the rows not yet suspect; then empty ID numbers become None."""
        v = self.values
        people = zip(v["id_doc_type"], v["id_doc_number"], v["birth_date"], v["sex"], v["entry_month"], strict=True)
        placements = zip(v["inclusive_placement"], v["disability_type"], v["health_status"], strict=True)
        guardians = zip(v["m1_is_guardian"], v["m2_is_guardian"], strict=True)
        members = zip(
            v["m1_id_doc_type"], v["m1_id_doc_number"], v["m2_id_doc_type"], v["m2_id_doc_number"], strict=True
        )
        months: dict[date, str] = {}
        this_month = f"{today:%Y%m}"
        for i, (person, placement, guardian, member) in enumerate(
            zip(people, placements, guardians, members, strict=True)
        ):
            if i in self.suspect:
                continue
            doc_type, number, born, sex, entry = person
            month = months.get(born) or months.setdefault(born, f"{born:%Y%m}")
            if (
                not self._person(doc_type, number, born, sex)
                or entry < month
                or entry > this_month
                or not _placement_clean(*placement)
                or "是" not in guardian
                or not self._members(doc_type not in (None, "Z") and bool(number), *member)
            ):
                self.suspect.add(i)
        for key in ("id_doc_number", "m1_id_doc_number", "m2_id_doc_number"):
            v[key] = [number or None for number in v[key]]

    def _resident(self, number: str, *, known_division: bool) -> bool:
        key = number if known_division else f"-{number}"
        clean = self.ids.get(key)
        if clean is None:
            clean = bool(number) and check_id_number(number) is None
            clean = self.ids[key] = clean and (not known_division or _known_division(number))
        return clean

    def _person(self, doc_type: str, number: str, born: date, sex: str) -> bool:
        if doc_type == "1":
            return (
                self._resident(number, known_division=True) and id_birth_date(number) == born and id_sex(number) == sex
            )
        return doc_type == "Z" or 0 < len(number) <= 30

    def _members(self, student_has_id: bool, *member: str | None) -> bool:
        valid_ids = 0
        for doc_type, number in (member[:2], member[2:]):
            if doc_type == "1":
                if not number or not self._resident(number, known_division=False):
                    return False
                valid_ids += 1
            else:
                valid_ids += bool(doc_type and doc_type != "Z" and number)
        return student_has_id or valid_ids > 0


def _placement_clean(placement: str, disability: str, health: str) -> bool:
    allowed = PLACEMENT_DISABILITY.get(placement or "")
    if allowed and disability not in allowed:
        return False
    return (health == "残疾") == (disability not in (None, "", "无残疾"))


def _required_text(value: Any) -> Check:
    found = text(value)
    return found, bool(found)


def _any_text(value: Any) -> Check:
    return text(value), True


def _any_id(value: Any) -> Check:
    return normalise_id(value), True


def _choice_check(entry: Choice) -> Callable[[Any], Check]:
    key, _, _, allowed, required = entry

    def check(value: Any) -> Check:
        found = text(value)
        if key == "ethnicity":
            found = codes.ETHNICITY_ALIASES.get(found, found)
        return found, (found in allowed) if found else not required

    return check


def _sex_check(value: Any) -> Check:
    sex = _code_of(text(value), codes.SEXES)
    return sex, sex is not None


def _birth_check(value: Any) -> Check:
    born = parse_date(value)
    return born, born is not None


def _doc_type_check(value: Any) -> Check:
    doc_type = _code_of(text(value), codes.ID_DOC_TYPES)
    return doc_type, doc_type is not None


def _member_doc_type_check(value: Any) -> Check:
    found = text(value)
    doc_type = _code_of(found, codes.ID_DOC_TYPES) if found else None
    return doc_type, not found or doc_type is not None


def _division_check(value: Any) -> Check:
    code = division_code(value)
    return code, code is not None and code.endswith("000000")


def _member_division_check(value: Any) -> Check:
    if not text(value):
        return "", True
    code = division_code(value)
    return code or "", code is not None


def _entry_check(value: Any) -> Check:
    entry = text(value)
    return entry, bool(re.fullmatch(r"\d{4}(0[1-9]|1[0-2])", entry))


def _required_phone(value: Any) -> Check:
    phone = text(value)
    if not phone:
        return phone, False
    return phone, bool(PHONE_PATTERN.fullmatch(phone)) and not (
        phone.startswith("1") and "-" not in phone and len(phone) != 11
    )


def _postal_check(value: Any) -> Check:
    postal = text(value)
    return postal, bool(re.fullmatch(r"\d{6}", postal))


def _distance_check(value: Any) -> Check:
    km = distance(value)
    return km, km is not None


def _guardian_check(value: Any) -> Check:
    found = text(value) or "是"
    return found, found in codes.YES_NO


RECORD_KEYS = tuple(validate({}, today=date(2000, 1, 1)).record)
