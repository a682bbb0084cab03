"""§3.9 rules and the Appendix C test vectors, on the validation module alone."""

from __future__ import annotations

from datetime import date

import pytest

from models.validation import check_id_number, check_national_number, distance, division_code, validate
from webapp.demo_rows import valid_row


def rules(result):
    return {(p.field, p.rule) for p in result.errors}


@pytest.mark.parametrize(
    ("number", "born", "sex"),
    [
        ("11010519491231002X", date(1949, 12, 31), "2"),
        ("440524188001010014", date(1880, 1, 1), "1"),
        ("11010519491231002x", date(1949, 12, 31), "2"),
        ("110105200801010014", date(2008, 1, 1), "1"),
        ("440304200903150027", date(2009, 3, 15), "2"),
        ("510107200712310039", date(2007, 12, 31), "1"),
    ],
)
def test_valid_id_numbers_of_appendix_c(number, born, sex):
    sex_name = "男" if sex == "1" else "女"
    result = validate(
        valid_row(id_doc_number=number, birth_date=f"{born:%Y%m%d}", sex=sex_name), today=date(2026, 1, 1)
    )
    assert result.errors == []
    assert result.record["id_doc_number"] == number.upper()
    assert (result.record["birth_date"], result.record["sex"]) == (born, sex)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("110101200001011234", "校验位错误（最后一位应为2）"),
        ("530102201002290041", "不是有效日期"),
        ("110105491231002", "应为18位"),
    ],
)
def test_invalid_id_numbers_of_appendix_c(number, message):
    assert message in check_id_number(number)
    result = validate(valid_row(id_doc_number=number))
    assert ("id_doc_number", "V-02") in rules(result)


def test_sex_contradicting_the_id_is_refused():
    result = validate(valid_row(id_doc_number="110105200801010014", birth_date="20080101", sex="女"))
    [problem] = result.errors
    assert (problem.field, problem.rule) == ("sex", "V-02")
    assert "性别与身份证件号不一致" in problem.message


def test_birth_date_must_equal_the_id_digits():
    result = validate(valid_row(id_doc_number="110105200801010014", birth_date="20080102", sex="男"))
    assert rules(result) == {("birth_date", "V-02")}


def test_full_width_id_number_is_normalised():
    result = validate(valid_row(id_doc_number="１１０１０５２００８０１０１００１４", birth_date="20080101", sex="男"))
    assert result.errors == [] and result.record["id_doc_number"] == "110105200801010014"


@pytest.mark.parametrize(("raw", "stored"), [("2", "2.0"), ("2.0", "2.0"), ("2.05", None), ("-1", None), ("abc", None)])
def test_distance_has_one_decimal(raw, stored):
    assert distance(raw) == stored


def test_two_decimals_are_refused_with_v08():
    assert ("distance_km", "V-08") in rules(validate(valid_row(distance_km="2.05")))


def test_division_codes_are_padded_and_a_nonzero_suffix_warns():
    assert division_code("110105") == "110105000000"
    assert division_code("110105000000") == "110105000000"
    result = validate(valid_row(birthplace_code="110105001001"))
    assert result.errors == []
    assert [(w.field, w.rule) for w in result.warnings] == [("birthplace_code", "V-07")]


def test_national_number_formats():
    for number in ("L110105200801013847", "J110105200801015018", "G110105200801010014"):
        assert check_national_number(number)
    assert not check_national_number("X110105200801013847")


def test_a_student_without_id_needs_a_member_with_one():
    row = valid_row(id_doc_type="其他", id_doc_number="", m1_id_doc_type="", m1_id_doc_number="")
    assert ("m1_id_doc_number", "V-03") in rules(validate(row))
    row = valid_row(id_doc_type="其他", id_doc_number="")
    assert validate(row).errors == []


def test_member_id_numbers_are_checked():
    result = validate(valid_row(m1_id_doc_number="110101200001011234"))
    assert ("m1_id_doc_number", "V-05") in rules(result)


def test_code_lists_and_required_fields():
    result = validate(valid_row(ethnicity="汉", health_status="", commute_mode="飞行"))
    assert {("ethnicity", "V-09"), ("health_status", "V-01"), ("commute_mode", "V-01")} <= rules(result)
    assert validate(valid_row(ethnicity="毛难族")).record["ethnicity"] == "毛南族"


def test_placement_needs_the_matching_disability():
    result = validate(valid_row(inclusive_placement="视力残疾随班就读", disability_type="无残疾"))
    assert ("disability_type", "V-12") in rules(result)


def test_entry_month_not_before_birth_nor_in_the_future():
    assert ("entry_month", "V-11") in rules(validate(valid_row(entry_month="201801")))
    assert ("entry_month", "V-11") in rules(validate(valid_row(entry_month="209901")))
    assert ("entry_month", "V-11") in rules(validate(valid_row(entry_month="2025-9")))


def test_phone_and_postal_code():
    result = validate(valid_row(phone="1380000", postal_code="55000"))
    assert {("phone", "V-14"), ("postal_code", "V-15")} <= rules(result)


def broken_rows():
    """Valid rows with one field, then several at random, set to values that break (or just bend) the rules."""
    import random
    from datetime import datetime

    from models.template_columns import COLUMNS

    pool = [
        *("", "  ", None, "abc", "是", "否", "1", "2", "Z", "男", "女", "其他", "居民身份证", "汉", "毛难族", "汉族"),
        *(1.0, 2, 2.5, True, "2.05", "-1", "１２３", "1.5 ", "x" * 51, "19990230", "20190101", "2019-01-01"),
        *(datetime(2019, 1, 1, 8, 0), date(2018, 5, 6), "520102", "110105001001", "5201020000001"),
        *("110101200001011234", "11010519491231002X", "11010519491231002x", "990105200801010014", "４４"),
        *("13800000000", "1380000", "010-12345678", "138000000001", "201801", "209901", "2025-9", "202509"),
        *("视力残疾随班就读", "非随班就读", "视力残疾", "无残疾", "残疾", "健康或良好", "父亲", "非留守儿童"),
    ]
    options = {o for c in COLUMNS for o in c.options}
    base = [valid_row(n) for n in range(6)] + [valid_row(7, id_doc_type="其他", id_doc_number="")]
    rows = []
    for column in COLUMNS:
        for value in [*pool, *options]:
            rows.append({**base[len(rows) % len(base)], column.key: value})
    chance = random.Random(13)
    for n in range(3000):
        row = dict(chance.choice(base))
        for column in chance.sample(COLUMNS, chance.randint(1, 4)):
            row[column.key] = chance.choice([*pool, *options])
        if n % 7 == 0:
            row.pop(chance.choice(COLUMNS).key, None)
        rows.append(row)
    return [*base, *rows]


def test_many_rows_at_once_give_exactly_what_one_row_at_a_time_gives():
    from models.validation import validate_rows

    rows = broken_rows()
    today = date(2026, 3, 1)
    together = validate_rows(rows, today=today)
    alone = [validate(row, today=today) for row in rows]
    assert sum(not r.problems for r in alone) > 500  # the corpus has clean rows as well as broken ones
    for row, got, expected in zip(rows, together, alone, strict=True):
        assert (got.record, got.problems) == (expected.record, expected.problems), row
