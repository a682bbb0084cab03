"""Forms of 学校管理 (F-03 学期学年设置, F-04 年级/班级信息管理) and 班额配置 (F-52).

They only parse what was typed; the rules (plausible dates, duplicates, 班额 limits, jurisdiction) are in
``handlers/terms.py``, ``handlers/school_classes.py`` and ``handlers/class_sizes.py``.
"""

from __future__ import annotations

from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from forms.base import ChineseForm, optional_int
from models.calendar import SEASONS, TermDates
from models.org import CLASS_TYPES, Stage

STAGE_CHOICES = [SelectChoice(s.value, s.label) for s in Stage]


class TermDatesForm(ChineseForm):
    start_date = DateField("开始日期", validators=[InputRequired("请填写开始日期")])
    end_date = DateField("结束日期", validators=[InputRequired("请填写结束日期")])

    def dates(self) -> TermDates:
        """After ``validate()``: both dates are there."""
        return TermDates(self.start_date.data, self.end_date.data)  # type: ignore[arg-type]


class TermForm(TermDatesForm):
    """新增学期 (the page lays the fields out: 学年, 学期, then the dates)."""

    academic_year = StringField("学年", validators=[DataRequired("请填写学年，例如 2026-2027")])
    season = SelectField("学期", choices=[SelectChoice(s) for s in SEASONS])


class CohortForm(ChineseForm):
    stage = SelectField("学段", choices=STAGE_CHOICES)
    cohort_year = IntegerField(
        "入学年份",
        validators=[InputRequired("请填写入学年份"), NumberRange(2000, 2099, "入学年份应在2000至2099年之间")],
    )


class ClassForm(ChineseForm):
    """班级: the view sets the choices of ``cohort_id`` and ``homeroom_teacher_id`` (the school's own)."""

    cohort_id = SelectField("年级", coerce=int)
    class_no = StringField(
        "班号",
        validators=[
            DataRequired("请填写班号"),
            Regexp(r"^[0-9A-Za-z]{1,10}$", message="班号只能由不超过10位的数字或字母组成"),
        ],
    )
    name = StringField(
        "班级名称",
        validators=[DataRequired("请填写班级名称，例如 一年级(1)班"), Length(max=50, message="不能超过50字")],
    )
    class_type = SelectField("班级类型", choices=[SelectChoice(t) for t in CLASS_TYPES], default=CLASS_TYPES[0])
    homeroom_teacher_id = SelectField("班主任", coerce=optional_int)
    capacity = IntegerField("班额（不填则按班额配置）", validators=[Optional()])


class ClassSizeForm(ChineseForm):
    stage = SelectField("学段", choices=STAGE_CHOICES)
    max_students = IntegerField("班额（每班最多人数）", validators=[InputRequired("请填写班额")])
    warn_at = IntegerField("预警人数（可不填）", validators=[Optional()])
    school_code = StringField(
        "学校标识码（只为一所学校设置时填写）", validators=[Length(max=10, message="学校标识码为10位")]
    )
