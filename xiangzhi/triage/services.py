from collections.abc import Iterable

from django.db import transaction

from xiangzhi.triage import engine, selectors
from xiangzhi.triage.models import SuggesterModel

KEEP_VERSIONS = 5
FOLDS = 5


def suggester_refresh(examples: Iterable[tuple[str, str]], *, base: bool = True,
                      folds: int = FOLDS) -> SuggesterModel:
    """Train a new version on the shipped examples (``base``) and the county's ``(text, code)`` examples,
    measure its cross-validated accuracy, store it and delete versions older than the last KEEP_VERSIONS.
    With the shipped examples this takes a minute or two: call it from a task, not a request."""
    model = engine.model_train(list(examples), base=base, folds=folds)
    with transaction.atomic():
        version = SuggesterModel.objects.create(
            base_examples=model.base_examples, county_examples=model.county_examples,
            categories=list(model.codes), accuracy=model.accuracy, has_e5=model.has_e5,
            weights=engine.model_to_bytes(model),
        )
        stale = list(SuggesterModel.objects.order_by("-id").values_list("id", flat=True)[KEEP_VERSIONS:])
        SuggesterModel.objects.filter(id__in=stale).delete()
    selectors.suggester_model_forget()
    return version
