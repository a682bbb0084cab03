"""A valid registration row for the demo world's 南明第一小学 (school code 2152010201), and helpers to vary it:
the uploads of the tests, the browser tests and the benches."""

from __future__ import annotations

from datetime import date
from typing import Any

from stdnum.cn import ric

SCHOOL_CODE = "2152010201"


def id_number(born: date, *, male: bool, seq: int = 12, division: str = "520102") -> str:
    body = f"{division}{born:%Y%m%d}{seq * 2 + (1 if male else 0):03d}"
    return body + ric.calc_check_digit(body + "0")


def valid_row(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """Row ``n`` of a class: distinct ID numbers and names for n = 0…449."""
    born = date(2019, 1 + n % 12, 1 + n // 12 % 28)
    male = n % 2 == 0
    row: dict[str, Any] = {
        "school_code": SCHOOL_CODE,
        "name": f"测试{'甲乙丙丁戊己庚辛壬癸'[n % 10]}{n}",
        "sex": "男" if male else "女",
        "birth_date": f"{born:%Y%m%d}",
        "birthplace_code": "520102",
        "native_place": "贵州省贵阳市",
        "ethnicity": "汉族",
        "nationality": "中国",
        "id_doc_type": "居民身份证",
        "id_doc_number": id_number(born, male=male, seq=400 + n // 336),
        "overseas_status": "否",
        "political_status": "",
        "health_status": "健康或良好",
        "hukou_code": "520102000000",
        "hukou_type": "非农业户口",
        "class_no": "101",
        "entry_month": "202509",
        "entry_method": "就近入学",
        "attendance_mode": "走读",
        "student_source": "正常入学",
        "current_address": "贵州省贵阳市南明区花果园1号",
        "mailing_address": "贵州省贵阳市南明区花果园1号",
        "home_address": "贵州省贵阳市南明区花果园1号",
        "phone": "13800000000",
        "postal_code": "550001",
        "is_only_child": "是",
        "had_preschool": "是",
        "left_behind": "非留守儿童",
        "is_migrant_child": "否",
        "is_orphan": "否",
        "is_martyr_child": "否",
        "inclusive_placement": "非随班就读",
        "disability_type": "无残疾",
        "gov_purchased_seat": "否",
        "needs_aid": "否",
        "receives_subsidy": "否",
        "distance_km": "1.5",
        "commute_mode": "步行",
        "needs_school_bus": "否",
        "m1_name": "测试父",
        "m1_relation": "父亲",
        "m1_phone": "13900000000",
        "m1_is_guardian": "是",
        "m1_id_doc_type": "居民身份证",
        "m1_id_doc_number": id_number(date(1988, 5, 5), male=True),
        "m2_name": "测试母",
        "m2_relation": "母亲",
        "m2_phone": "13700000000",
        "m2_is_guardian": "是",
        "m2_id_doc_type": "",
        "m2_id_doc_number": "",
    }
    row.update(overrides)
    return row
