import time

import pytest

from xiangzhi.triage import engine, suggester
from xiangzhi.triage.tests.conftest import CATALOG


def codes(suggestions):
    return [s.code for s in suggestions]


def suggest(text, catalog, **kwargs):
    """The shipped base model, unless a test brings its own: these tests need no database."""
    kwargs.setdefault("model", engine.model_base())
    return suggester.suggest(text, catalog, **kwargs)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😡😡👍🏻", "！？。……", "❤️‍🔥🔥"])
def test_a_text_without_words_gets_nothing(text):
    assert suggest(text, CATALOG) == []


def test_an_empty_catalog_or_limit_gets_nothing():
    assert suggest("路灯不亮了", []) == []
    assert suggest("路灯不亮了", CATALOG, limit=0) == []


def test_the_usual_case():
    result = suggest("村东头的灯一个多星期不亮了，晚上黑得很", CATALOG)
    assert codes(result)[0] == "road_light"
    assert len(result) == 3
    assert result[0].name == "路灯损坏" and result[0].group == "道路与照明"
    assert [s.score for s in result] == sorted((s.score for s in result), reverse=True)
    assert 0 < sum(s.score for s in result) <= 1


def test_a_long_text_is_cut_before_any_work():
    text = "村东头的灯一个多星期不亮了，晚上黑得很。" * 250  # 5,000 characters
    started = time.perf_counter()
    result = suggest(text, CATALOG)
    assert time.perf_counter() - started < 1.0
    assert codes(result)[0] == "road_light"
    assert len(engine.text_clean(text)) == engine.TEXT_LIMIT
    assert len(engine.text_clean(" " * 10_000_000 + "灯坏了")) == 0  # only a bounded prefix is ever read


def test_emoji_are_ignored():
    plain = suggest("路灯不亮了", CATALOG)
    assert suggest("路灯不亮了😡😡👎🏻", CATALOG) == plain
    assert suggest("😡路灯\u200d不亮了", CATALOG) == plain


def test_a_text_naming_two_problems_gets_both():
    top = codes(suggest("路灯坏了，还有垃圾没人清", CATALOG))
    assert {"road_light", "env_garbage"} <= set(top)
    top = codes(suggest("停水三天了，另外村口的井盖也没了", CATALOG))
    assert {"livelihood_water", "road_manhole"} <= set(top)


def test_english_text_gets_an_answer_from_characters_alone():
    result = suggest("The street light outside my house is broken", CATALOG)
    assert len(result) == 3 and 0 < sum(s.score for s in result) <= 1
    assert suggester.suggest_method(engine.model_base()) == "仅字符片段"


def test_english_text_is_understood_with_e5(e5):
    result = suggest("The street light outside my house has been broken for a week", CATALOG)
    assert "road_light" in codes(result)
    assert suggester.suggest_method(engine.model_base()) == "字符片段；外文与未学类别另用 e5 语义"


def test_only_the_catalog_s_codes_come_back():
    without_order = [entry for entry in CATALOG if entry.code != "public_order"]
    result = suggest("昨晚村里好几家的电动车被偷了", without_order, limit=10)
    assert {s.code for s in result} <= {entry.code for entry in without_order}
    assert sum(s.score for s in result) <= 1
    assert codes(suggest("昨晚村里好几家的电动车被偷了", CATALOG))[0] == "public_order"


def test_a_repeated_code_counts_once():
    result = suggest("路灯不亮了", [*CATALOG, CATALOG[1]], limit=20)
    assert len(result) == len(CATALOG)


# The brief's case: a tiny model that never saw 社会治安, and a catalog that has it.
NEW_CATEGORY_CATALOG = [CATALOG[0], CATALOG[1], CATALOG[3], CATALOG[7]]


def test_a_category_without_examples_comes_first_when_the_text_fits_it(e5, tiny_model):
    assert "public_order" not in tiny_model.codes
    result = suggest("昨晚村里好几家的电动车被偷了", NEW_CATEGORY_CATALOG, model=tiny_model)
    assert codes(result)[0] == "public_order"
    # …and does not take over a text that fits a category the model knows.
    assert codes(suggest("村口的路灯坏了好几天", NEW_CATEGORY_CATALOG, model=tiny_model))[0] == "road_light"


def test_a_category_without_examples_by_its_words_alone(tiny_model):
    result = suggest("后街有人天天聚着赌钱，喝醉了还打架", NEW_CATEGORY_CATALOG, model=tiny_model)
    assert codes(result)[0] == "public_order"
    assert codes(suggest("村口的路灯坏了好几天", NEW_CATEGORY_CATALOG, model=tiny_model))[0] == "road_light"


def test_a_catalog_of_only_unknown_codes_still_answers(tiny_model):
    catalog = [CATALOG[7], CATALOG[5], CATALOG[6]]
    result = suggest("有人在后街开赌场打麻将赌钱", catalog, model=tiny_model)
    assert codes(result)[0] == "public_order"
    assert sum(s.score for s in result) <= 1
