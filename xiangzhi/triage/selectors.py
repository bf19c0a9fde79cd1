import threading
import time

from xiangzhi.triage import engine
from xiangzhi.triage.models import SuggesterModel

CHECK_SECONDS = 60.0


class _Current:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model: engine.TrainedModel | None = None
        self.row: int | None = None
        self.checked = float("-inf")


_current = _Current()


def suggester_model_get() -> engine.TrainedModel:
    """The model answering in this process: the newest stored version, or the shipped base model while none is
    stored. Loaded on first use; whether a newer version exists is asked at most every CHECK_SECONDS."""
    with _current.lock:
        now = time.monotonic()
        if _current.model is not None and now - _current.checked < CHECK_SECONDS:
            return _current.model
        newest = SuggesterModel.objects.order_by("-id").values_list("id", flat=True).first()
        if _current.model is None or newest != _current.row:
            row = SuggesterModel.objects.order_by("-id").values_list("id", "weights").first()
            if row is None:
                _current.model, _current.row = engine.model_base(), None
            else:
                _current.model, _current.row = engine.model_from_bytes(bytes(row[1])), row[0]
        _current.checked = now
        return _current.model


def suggester_model_forget() -> None:
    """Look for the newest version again at the next suggestion (after a refresh in this process)."""
    with _current.lock:
        _current.model, _current.row, _current.checked = None, None, float("-inf")
