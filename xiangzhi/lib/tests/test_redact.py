from xiangzhi.lib.redact import redact_personal


def test_id_number_and_mobile_are_masked_and_named():
    r = redact_personal("我叫张三，身份证370321198805121234，电话 138 1234 5678，路灯坏了")
    assert "370321198805121234" not in r.text and "3703" in r.text
    assert "13812345678" not in r.text.replace(" ", "") and "138****5678" in r.text
    assert r.kinds == ["id_number", "phone"]
    assert r.describe() == "已隐去：身份证号、电话号码"


def test_full_width_digits_and_lower_x_are_found():
    r = redact_personal("身份证号３７０３２１１９８８０５１２１２３ｘ")
    assert r.kinds == ["id_number"]
    assert "1988" not in r.text


def test_landline_and_bank_card():
    r = redact_personal("打 0543-3321234 或转账到 6222 0212 3456 7890 123")
    assert r.kinds == ["phone", "bank_card"]
    assert "3321234" not in r.text and "6222" in r.text and "0212 3456" not in r.text


def test_plain_text_and_short_numbers_are_left_alone():
    text = "村东头第17号路灯不亮，已经3天了，2026年12月6日"
    r = redact_personal(text)
    assert r.text == text and not r.changed and r.describe() == ""
