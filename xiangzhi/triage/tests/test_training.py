import builtins
import io
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from xiangzhi.core.errors import Invalid
from xiangzhi.triage import engine
from xiangzhi.triage.suggester import model_train, suggest
from xiangzhi.triage.tests.conftest import CATALOG, TINY_EXAMPLES


def test_character_features_are_scikit_learn_s(tiny_model):
    texts = [engine.text_clean(text) for text, _ in TINY_EXAMPLES]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True,
                                 vocabulary=tiny_model.vocabulary).fit(texts)
    for text in ["村东头的灯不亮了 垃圾没人拉", "Street LIGHT broken", "灯"]:
        expected = vectorizer.transform([text]).toarray()[0]
        index, values = engine._char_vector(tiny_model, text)
        mine = np.zeros_like(expected)
        mine[index] = values
        np.testing.assert_allclose(mine, expected, rtol=1e-5, atol=1e-6)


def test_the_training_loader_reads_only_its_own_files(monkeypatch):
    opened: list[Path] = []
    real_open = builtins.open

    def recording_open(file, *args, **kwargs):
        if isinstance(file, str | Path):
            opened.append(Path(file).resolve())
        return real_open(file, *args, **kwargs)

    fitted = {}
    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(io, "open", recording_open)
    monkeypatch.setattr(engine, "_fit", lambda texts, labels, *rest: fitted.update(texts=texts, labels=labels))
    engine.model_train([("前街马葫芦没了", "road_manhole")], base=True)

    assert opened and all(path.is_relative_to(engine.DATA_DIR) for path in opened), opened
    assert not any("eval" in path.name for path in opened)
    assert len(fitted["texts"]) == len(engine.examples_base()) + 1


def test_county_examples_change_an_answer():
    """A northern county calls a manhole 马葫芦: the shipped examples do not know the word, four of its own do."""
    before = suggest("前街马葫芦", CATALOG, model=engine.model_base())
    assert before[0].code != "road_manhole"
    model = model_train([
        ("马葫芦没了，晚上差点掉进去", "road_manhole"), ("学校门口马葫芦碎了", "road_manhole"),
        ("马葫芦响得厉害", "road_manhole"), ("街上马葫芦塌下去一块", "road_manhole"),
    ])
    assert model.county_examples == 4 and model.base_examples == engine.model_base().base_examples
    assert suggest("前街马葫芦", CATALOG, model=model)[0].code == "road_manhole"


def test_examples_without_words_are_left_out(tiny_model):
    model = model_train([*TINY_EXAMPLES, ("😡😡", "road_light"), ("  ", "env_garbage")], base=False)
    assert model.county_examples == len(TINY_EXAMPLES)


def test_two_categories_are_needed():
    with pytest.raises(Invalid):
        model_train([("路灯坏了", "road_light")], base=False)
