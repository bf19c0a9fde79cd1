"""Shared helpers for benchmark child processes: Django set-up, timing, percentiles."""

import os
import statistics
import time
from contextlib import contextmanager


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangzhi.settings")
    os.environ.setdefault("XIANGZHI_HTTPS", "0")
    import django

    django.setup()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary_ms(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
            f"mean {statistics.fmean(ms):.1f} ms over {len(ms)}")


@contextmanager
def timer():
    box = {}
    start = time.perf_counter()
    yield box
    box["seconds"] = time.perf_counter() - start


def line(name: str, figure: str, baseline: str, verdict: str = "") -> None:
    print(f"  {name}: {figure}")
    print(f"    baseline: {baseline}")
    if verdict:
        print(f"    target: {verdict}")


def delete_cases_titled(cursor, prefix: str) -> int:
    """Remove benchmark cases (and their notices, photos, keys and transitions) by title prefix."""
    cursor.execute("SELECT id FROM cases_case WHERE title LIKE %s", [prefix + "%"])
    ids = [r[0] for r in cursor.fetchall()]
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        marks = ",".join(["%s"] * len(chunk))
        cursor.execute(f"DELETE FROM notifications_notification WHERE link IN ({marks})",
                       [f"/cases/{i}/" for i in chunk])
        for table in ("cases_idempotencyrecord", "cases_photo", "cases_transition"):
            cursor.execute(f"DELETE FROM {table} WHERE case_id IN ({marks})", chunk)
        cursor.execute(f"DELETE FROM cases_case WHERE id IN ({marks})", chunk)
    return len(ids)
