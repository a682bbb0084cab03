"""The 72 columns of the student information template (Appendix B.1): header, field, required, options."""

from __future__ import annotations

from dataclasses import dataclass

from models import codes


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool = True
    options: tuple[str, ...] = ()


_Y = tuple(codes.YES_NO)


def _member(seq: int) -> list[Column]:
    p, h = f"m{seq}_", f"成员{seq}"
    return [
        Column(f"{h}姓名", p + "name"),
        Column(f"{h}关系", p + "relation", True, tuple(codes.RELATIONS)),
        Column(f"{h}关系说明", p + "relation_note", False),
        Column(f"{h}民族", p + "ethnicity", False, tuple(codes.ETHNICITIES)),
        Column(f"{h}工作单位", p + "employer", False),
        Column(f"{h}现住址", p + "current_address", False),
        Column(f"{h}户口所在地行政区划代码", p + "hukou_code", False),
        Column(f"{h}联系电话", p + "phone"),
        Column(f"{h}是否监护人", p + "is_guardian", True, _Y),
        Column(f"{h}身份证件类型", p + "id_doc_type", False, tuple(codes.ID_DOC_TYPES.values())),
        Column(f"{h}身份证件号", p + "id_doc_number", False),
        Column(f"{h}职务", p + "job_title", False),
    ]


COLUMNS: list[Column] = [
    Column("学校标识码", "school_code"),
    Column("姓名", "name"),
    Column("性别", "sex", True, tuple(codes.SEXES.values())),
    Column("出生日期", "birth_date"),
    Column("出生地行政区划代码", "birthplace_code"),
    Column("籍贯", "native_place"),
    Column("民族", "ethnicity", True, tuple(codes.ETHNICITIES)),
    Column("国籍/地区", "nationality"),
    Column("身份证件类型", "id_doc_type", True, tuple(codes.ID_DOC_TYPES.values())),
    Column("身份证件号", "id_doc_number", False),
    Column("港澳台侨外", "overseas_status", True, tuple(codes.OVERSEAS)),
    Column("政治面貌", "political_status", False, tuple(codes.POLITICAL)),
    Column("健康状况", "health_status", True, tuple(codes.HEALTH)),
    Column("姓名拼音", "name_pinyin", False),
    Column("曾用名", "former_name", False),
    Column("身份证件有效期", "id_doc_validity", False),
    Column("户口所在地行政区划代码", "hukou_code"),
    Column("户口性质", "hukou_type", True, tuple(codes.HUKOU_TYPES)),
    Column("特长", "specialty", False),
    Column("学籍辅号", "local_student_id", False),
    Column("班内学号", "class_seat_no", False),
    Column("年级", "grade", False),
    Column("班级号", "class_no", False),
    Column("入学年月", "entry_month"),
    Column("入学方式", "entry_method", True, tuple(codes.ENTRY_METHODS)),
    Column("就读方式", "attendance_mode", True, tuple(codes.ATTENDANCE)),
    Column("学生来源", "student_source", False, tuple(codes.STUDENT_SOURCES)),
    Column("现住址", "current_address"),
    Column("通信地址", "mailing_address"),
    Column("家庭地址", "home_address"),
    Column("联系电话", "phone"),
    Column("邮政编码", "postal_code"),
    Column("电子信箱", "email", False),
    Column("主页地址", "homepage", False),
    Column("是否独生子女", "is_only_child", True, _Y),
    Column("是否受过学前教育", "had_preschool", True, _Y),
    Column("是否留守儿童", "left_behind", True, tuple(codes.LEFT_BEHIND)),
    Column("是否进城务工人员随迁子女", "is_migrant_child", True, _Y),
    Column("是否孤儿", "is_orphan", True, _Y),
    Column("是否烈士或优抚子女", "is_martyr_child", True, _Y),
    Column("随班就读", "inclusive_placement", True, tuple(codes.PLACEMENTS)),
    Column("残疾人类型", "disability_type", True, tuple(codes.DISABILITIES)),
    Column("是否由政府购买学位", "gov_purchased_seat", True, _Y),
    Column("是否需要申请资助", "needs_aid", True, _Y),
    Column("是否享受一补", "receives_subsidy", True, _Y),
    Column("上下学距离", "distance_km"),
    Column("上下学方式", "commute_mode", True, tuple(codes.COMMUTE)),
    Column("是否需要乘坐校车", "needs_school_bus", True, _Y),
    *_member(1),
    *_member(2),
]
BY_KEY = {c.key: c for c in COLUMNS}
HEADER_ALIASES = {
    "户口所在行政区划代码": "户口所在地行政区划代码",
    "户口所在地行政区划": "户口所在地行政区划代码",
    "成员1户口所在地行政区划": "成员1户口所在地行政区划代码",
    "成员2户口所在地行政区划": "成员2户口所在地行政区划代码",
    "入读方式": "入学方式",
    "家庭住址": "家庭地址",
}


def label_of(key: str) -> str:
    column = BY_KEY.get(key)
    return column.header if column else key
