import datetime as dt

import pytest

from xiangzhi.lib import idnumber

TODAY = dt.date(2026, 11, 23)


def test_a_known_valid_number_parses_with_birth_date_and_sex():
    # 11010519491231002X is the worked example of GB 11643-1999.
    parsed = idnumber.parse("11010519491231002x", today=TODAY)
    assert parsed.value == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"


def test_make_builds_numbers_that_parse_back():
    value = idnumber.make("371603", dt.date(1988, 2, 29), 137)
    parsed = idnumber.parse(value, today=TODAY)
    assert parsed.birth_date == dt.date(1988, 2, 29)
    assert parsed.sex == "M"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("37160319880229137", "应为18位"),
        ("3716031988022913A7", "前17位必须是数字"),
        ("991603198802291371", "省级代码"),
        ("371603198802301371", "不是有效日期"),
        ("371603203001011371", "不合理"),
        ("371603198802291370", "校验位不正确"),
        ("", "应为18位"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(raw, message):
    with pytest.raises(idnumber.IdNumberError, match=message):
        idnumber.parse(raw, today=TODAY)


def test_the_id_mask_keeps_four_and_two_and_the_phone_mask_three_and_four():
    assert idnumber.mask("371603198802291371") == "3716************71"
    assert idnumber.mask_phone("13812345678") == "138****5678"


def test_the_id_mask_leaves_thousands_of_candidates_to_whoever_knows_year_and_county():
    value = idnumber.make("371603", dt.date(1988, 2, 29), 137)
    # The old 4 + 4 mask kept the whole sequence and the check character: 366 dates of 1988, one in eleven.
    old = value[:4] + "*" * 10 + value[-4:]
    assert idnumber.mask_candidates(old, birth_year=1988, address_code="371603") == 35
    assert idnumber.mask_candidates(idnumber.mask(value), birth_year=1988, address_code="371603") >= 3000
    assert idnumber.mask_candidates(value, birth_year=1988, address_code="371603") == 1
    assert idnumber.mask_candidates(idnumber.mask(value), birth_year=1988, address_code="110105") == 0
