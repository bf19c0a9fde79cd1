from django import template

from xiangzhi.cases.models import DONE_STATUSES
from xiangzhi.cases.progress import resident_state, sees_residents_words

register = template.Library()


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key, key)


@register.filter
def status_for(case, user) -> str:
    """The case's state as this user should read it: a villager in his words, staff in the lifecycle's."""
    if sees_residents_words(user):
        return resident_state(case).label
    return case.get_status_display()


@register.filter
def status_badge(case, user) -> str:
    """The badge colour of ``status_for``."""
    if sees_residents_words(user):
        return resident_state(case).badge
    if case.overdue_at:
        return "bg-danger"
    return "bg-success" if case.status in DONE_STATUSES else "bg-secondary"
