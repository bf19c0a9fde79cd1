"""The category suggested for a report's own words (issue: villagers do not know the catalog). The
suggester (``xiangzhi.triage``) knows no case: this module hands it the county's active catalog and the
examples its dispatchers confirmed, and says where each suggestion would send the case.

Used by the villager's and the worker's report forms (as they type), the report itself when it names no
category, the hotline import (a row without a category, or one the suggester strongly disagrees with),
the township's triage queue and ``POST /api/v1/cases/suggest``."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings

from xiangzhi.cases.models import Case, Category, Channel, HandlingLevel
from xiangzhi.cases.routing import category_list_active, route
from xiangzhi.core.display import share_text
from xiangzhi.lib.redact import redact_personal
from xiangzhi.regions.models import Department
from xiangzhi.triage.services import suggester_refresh
from xiangzhi.triage.suggester import CatalogEntry, suggest

LEVEL_NAMES = dict(HandlingLevel.choices)
SUGGEST_CHARS = 5000  # a report's words read at most (the form's limit); the suggester reads fewer
DEPARTMENT_NAMES = dict(Department.Kind.choices)


@dataclass(frozen=True)
class CategorySuggestion:
    category: Category
    score: float  # 0–1

    @property
    def code(self) -> str:
        return self.category.code

    @property
    def route(self) -> str:
        """Where the catalog sends a case of this category: 「派出所」, 「村（社区）」."""
        return route_text(self.category)

    @property
    def percent(self) -> str:
        """The score in the site's style for a share: 「42.0%」."""
        return share_text(self.score)


def route_text(category: Category) -> str:
    if category.default_level == HandlingLevel.DEPARTMENT and category.department_kind:
        return DEPARTMENT_NAMES.get(category.department_kind, category.department_kind)
    return LEVEL_NAMES.get(category.default_level, category.default_level)


def case_route_text(case: Case, category: Category) -> str:
    """Where ``case`` would go under ``category``, by its place as routing decides (the three lists, the
    grid's village and township: 「交通运输局」, 「村（社区）」); the catalog's answer when it lies outside every
    grid."""
    if case.lon is not None and case.lat is not None:
        where = route(category=category, lon=case.lon, lat=case.lat, fallback_region=case.region)
        if not where.triage:
            if where.level == HandlingLevel.DEPARTMENT and where.department is not None:
                return where.department.name
            return LEVEL_NAMES.get(where.level, where.level)
    return route_text(category)


def category_suggest(text: str, *, limit: int = 3) -> list[CategorySuggestion]:
    """The ``limit`` likeliest active categories for ``text``, best first (empty for text with nothing to
    go on)."""
    categories = {c.code: c for c in category_list_active()}
    catalog = [CatalogEntry(code=c.code, name=c.name, group=c.group, hint=c.hint) for c in categories.values()]
    return [CategorySuggestion(categories[s.code], s.score) for s in suggest(text, catalog, limit=limit)
            if s.code in categories]


def sure_of(found: list[CategorySuggestion]) -> CategorySuggestion | None:
    """The first suggestion when the suggester is sure of it: it scores ``CASE_SUGGEST_TAKE`` or more and at
    least twice the second (two problems in one message score alike: then nobody is sure)."""
    first = found[0] if found else None
    second = found[1].score if len(found) > 1 else 0.0
    if first is not None and first.score >= settings.CASE_SUGGEST_TAKE and first.score >= 2 * second:
        return first
    return None


def category_for_report(text: str) -> tuple[Category | None, CategorySuggestion | None]:
    """For a report's words: (the category to file it under when it names none: the suggester's first
    choice when it is sure, else None for 其他, which the village looks at and dispatches; the first choice)."""
    found = category_suggest(text, limit=2)
    sure = sure_of(found)
    return (sure.category if sure else None), (found[0] if found else None)


def report_text(case: Case, made: frozenset[str] | None = None) -> str:
    """A case's words as its reporter wrote them: the description, and the title unless the platform made
    it from a category's name and the place (「路灯损坏 · 文祖村」, 「随手拍 · 3月5日」). ``made``: the names such
    titles start with (every category's, and 随手拍)."""
    made = made if made is not None else made_title_starts()
    title = case.title
    head, sep, _ = title.partition(" · ")
    words = "" if sep and head in made else title
    return " ".join(part for part in (words, case.description) if part).strip()


def made_title_starts() -> frozenset[str]:
    return frozenset([*Category.objects.values_list("name", flat=True), "随手拍"])


def category_examples() -> Iterator[tuple[str, str]]:
    """(text, category code) of every case whose category a dispatcher confirmed or corrected, for the
    suggester to learn from; device alarms (machine text) and cases without words are left out. ID, phone and
    card numbers are masked first: the trained vocabulary keeps no fragment of a villager's number."""
    made = made_title_starts()
    rows = (Case.objects.filter(category_confirmed_at__isnull=False).exclude(channel=Channel.DEVICE)
            .select_related("category").only("title", "description", "category__code")
            .order_by("pk"))
    for case in rows.iterator(chunk_size=2000):
        text = report_text(case, made)
        if text:
            yield redact_personal(text).text, case.category.code


def category_suggester_refresh(*, folds: int | None = None) -> str:
    """Train the suggester again on the shipped examples and every case a dispatcher confirmed or corrected
    (the worker, nightly; ``xiangzhi category_suggester``); the web processes pick the new version up within
    a minute. ``folds``: of the cross-validation that measures the new version (0: none). Says what it did."""
    model = suggester_refresh(category_examples(), **({} if folds is None else {"folds": folds}))
    return f"分类建议已重新训练：基础样例 {model.base_examples:,} 条，本县确认的事件 {model.county_examples:,} 条"
