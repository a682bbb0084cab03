"""Form of 节假日设置 (Q-16): one day or a range, 放假 or 调休上班, and its name.

It only parses what was typed; the rules (end not before start, range length, 调休上班 on weekends only, days
already set) are in ``handlers/holidays.py``.
"""

from __future__ import annotations

from datetime import date

from wtforms import DateField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.base import ChineseForm

OFF, WORKED = "off", "worked"


class HolidayForm(ChineseForm):
    start_date = DateField("开始日期", validators=[InputRequired("请填写开始日期")])
    end_date = DateField("结束日期（只设一天可不填）", validators=[Optional()])
    kind = RadioField(
        "类型",
        choices=[SelectChoice(OFF, "放假"), SelectChoice(WORKED, "调休上班")],
        default=OFF,
        validators=[InputRequired("请选择放假或调休上班")],
    )
    name = StringField(
        "名称",
        validators=[DataRequired("请填写名称，例如“国庆节”或“国庆调休上班”"), Length(max=30, message="不能超过30字")],
    )

    def days(self) -> tuple[date, date]:
        """After ``validate()``: the first and last day (one day when no end date was given)."""
        first: date = self.start_date.data  # type: ignore[assignment]
        return first, self.end_date.data or first
